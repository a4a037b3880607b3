// v86's wasm as Vite's `?url` import gives it: its URL. Declared here as well as by vite/client,
// because the Node-side type check reaches this module too (the e2e tests type window.webaio).
declare module 'v86/build/v86.wasm?url' {
  const url: string;
  export default url;
}
