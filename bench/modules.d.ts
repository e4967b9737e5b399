/** Types for packages used only by benchmarks (they ship none). */
declare module 'autocannon';
