// The page's files as strings. This is a stand-in: `npm run build` compiles it, then
// scripts/build-ui.mjs writes the real dist/src/ui/page-assets.js over its output (the page bundled
// by esbuild from src/ui/page/) before the bundle is made, so the page ships inside kubegate.

/** index.html */
export const INDEX_HTML = '<!doctype html><meta charset="utf-8"><title>kubegate</title><p>The page was not built: run npm run build.</p>\n';
/** The page's script, bundled from src/ui/page/main.ts. */
export const APP_JS = '';
/** src/ui/page/app.css */
export const APP_CSS = '';
/** src/ui/page/icon.svg (so the browser asks for no /favicon.ico, which would be proxied). */
export const ICON_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"/>';
