/** LOG_FORMAT as configured: `auto` follows the terminal. */
export type LogFormatSetting = 'auto' | 'pretty' | 'json';
/** What is written: one JSON object per line, or one readable (coloured) line per event. */
export type LogFormat = 'pretty' | 'json';

/**
 * `auto` is pretty exactly when the logs go to a terminal (a person reads them: `npm start`), and
 * JSON lines otherwise (a file, a pipe, a log collector, a container runtime). An explicit
 * setting wins either way.
 */
export function resolveLogFormat(setting: LogFormatSetting, toTerminal: boolean): LogFormat {
  if (setting === 'auto') return toTerminal ? 'pretty' : 'json';
  return setting;
}
