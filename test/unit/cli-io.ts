// The in-process `nbv` of test/notebook/helpers.ts, still imported from here by
// src/install/manifests.test.ts.
export { nbv } from '../notebook/helpers.ts';
