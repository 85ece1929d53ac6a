// Vite bundles the stylesheets the code imports.
declare module '*.css';
