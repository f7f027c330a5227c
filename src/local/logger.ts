/**
 * Where the embedded server reports what happens. It prints nothing by itself: the CLI
 * (or a test) passes a logger when it wants output.
 */
export interface EmbeddedLogger {
  info(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

export const silentLogger: EmbeddedLogger = {
  info: () => {},
  error: () => {},
};
