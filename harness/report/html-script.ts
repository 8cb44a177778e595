/**
 * The report's only script, inlined. Without it the page still shows every case (rows
 * open by hand, ladders as links). With it:
 * - filters: verdicts (checkboxes), stack (select), a text search over case names and files;
 * - permalinks: #case-… (a row) or #run-… (one run in a row) opens the row and scrolls to
 *   it, clearing filters that hide it; opening a row puts its permalink in the address bar;
 * - ladders: a row's ladder.svg files are fetched when it is first opened (an <object>,
 *   so the arrows' tooltips work), never up front;
 * - keys: j / k next and previous row, Enter opens it, / the search, Esc leaves it.
 */
export const REPORT_SCRIPT = `
(() => {
  const all = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const rows = all('details.case');
  const form = document.querySelector('form.controls');
  const search = form.elements.q;
  const stack = form.elements.stack;
  const verdicts = all('input[name=verdict]', form);
  const shown = form.querySelector('output');

  function drawLadders(row) {
    for (const fig of all('figure.ladder[data-src]', row)) {
      const object = document.createElement('object');
      object.type = 'image/svg+xml';
      object.data = fig.dataset.src;
      object.append(...fig.childNodes);
      fig.removeAttribute('data-src');
      fig.append(object);
    }
  }

  function apply() {
    const q = search.value.trim().toLowerCase();
    const on = stack ? stack.value : '';
    const wanted = new Set(verdicts.filter((v) => v.checked).map((v) => v.value));
    let n = 0;
    for (const row of rows) {
      let any = false;
      for (const el of all('[data-status]', row)) {
        const onStack = !on || el.dataset.stacks.split(' ').includes(on);
        el.classList.toggle('off', !onStack);
        if (onStack && el.classList.contains('cell') && wanted.has(el.dataset.status)) any = true;
      }
      row.hidden = !any || (q !== '' && !row.dataset.search.includes(q));
      if (!row.hidden) n++;
    }
    for (const topic of all('section.topic')) topic.hidden = all('details.case', topic).every((r) => r.hidden);
    shown.value = n === rows.length ? rows.length + ' cases' : n + ' of ' + rows.length + ' cases';
  }

  function clearFilters() {
    search.value = '';
    if (stack) stack.value = '';
    for (const v of verdicts) v.checked = true;
    apply();
  }

  function openFromHash() {
    const id = decodeURIComponent(location.hash.slice(1));
    const target = id && document.getElementById(id);
    const row = target && target.closest('details.case');
    if (!row) return;
    if (row.hidden || target.classList.contains('off')) clearFilters();
    row.open = true;
    drawLadders(row);
    target.scrollIntoView({ block: 'start' });
    row.querySelector('summary').focus({ preventScroll: true });
  }

  document.addEventListener('toggle', (e) => {
    const row = e.target;
    if (!row.matches || !row.matches('details.case') || !row.open) return;
    drawLadders(row);
    const id = decodeURIComponent(location.hash.slice(1));
    const target = id && document.getElementById(id);
    if (!target || !row.contains(target)) history.replaceState(null, '', '#' + row.id);
  }, true);

  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const typing = e.target.matches && e.target.matches('input, select, textarea');
    if (e.key === 'Escape' && e.target === search) {
      search.value = '';
      apply();
      search.blur();
      return;
    }
    if (typing) return;
    if (e.key === '/') {
      e.preventDefault();
      search.focus();
      search.select();
    } else if (e.key === 'j' || e.key === 'k') {
      e.preventDefault();
      const visible = rows.filter((r) => !r.hidden);
      const current = document.activeElement && document.activeElement.closest && document.activeElement.closest('details.case');
      const i = visible.indexOf(current);
      const next = visible[e.key === 'j' ? Math.min(visible.length - 1, i + 1) : Math.max(0, i - 1)];
      if (next) {
        const s = next.querySelector('summary');
        s.focus({ preventScroll: true });
        s.scrollIntoView({ block: 'nearest' });
      }
    }
  });

  form.addEventListener('input', apply);
  form.addEventListener('submit', (e) => e.preventDefault());
  window.addEventListener('hashchange', openFromHash);
  apply();
  openFromHash();
})();
`;
