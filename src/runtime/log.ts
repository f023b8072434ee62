// Structured JSON logs (pino). Child loggers carry the context of a line: controller, namespace,
// name, reconcileID, so that one reconcile can be followed through the log.
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export interface LoggerOptions {
  /** fatal, error, warn, info, debug, trace or silent; default $NBV_LOG_LEVEL or info. */
  level?: string;
  /** Fields on every line. */
  base?: Record<string, string>;
  /** Where lines go; stdout by default. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.NBV_LOG_LEVEL ?? 'info';
  return pino(
    {
      level,
      base: { ...options.base },
      // Kubernetes log tooling reads RFC 3339 times; "msg"/"level" stay pino's defaults.
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** A logger that writes nothing: the default of components a caller gives no logger. */
export const silentLogger: Logger = pino({ level: 'silent' });
