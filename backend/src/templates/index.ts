export { Drain, type DrainState, type TemplateMatch } from './drain.js';
export { TemplateIndex, type TemplateHit, type TemplateIndexState } from './template-index.js';
export { routeOf, routePath } from './route.js';
