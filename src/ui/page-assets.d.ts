// Written by scripts/build-ui.mjs after tsc (dist/src/ui/page-assets.js): the page, bundled from src/ui/page/.

/** index.html */
export declare const INDEX_HTML: string;
/** The page's script, bundled by esbuild from src/ui/page/main.ts. */
export declare const APP_JS: string;
/** src/ui/page/app.css */
export declare const APP_CSS: string;
/** src/ui/page/icon.svg (so the browser asks for no /favicon.ico, which would be proxied). */
export declare const ICON_SVG: string;
