export * from './background-driver.ts';
export * from './cors.ts';
export * from './embedded-server.ts';
export * from './logger.ts';
export * from './node-http-adapter.ts';
export * from './store-factory.ts';
