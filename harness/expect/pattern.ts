// The pattern grammar lives in harness/pattern (the wire's rules use it too).
export * from '../pattern/index.js';
