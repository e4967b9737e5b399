/** Loki's unit conversions: Go durations and go-humanize byte sizes, for `| unwrap duration()/bytes()` and unit label filters. */

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  μs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

/** Go's time.ParseDuration, in seconds. */
export function goDurationSeconds(raw: string): number {
  const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(raw);
  if (!m) return raw === '0' ? 0 : NaN;
  let total = 0;
  for (const part of raw.slice(m[1].length).matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g))
    total += Number(part[1]) * DURATION_UNITS[part[2]];
  return m[1] === '-' ? -total : total;
}

const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  p: 1e15,
  pb: 1e15,
  e: 1e18,
  eb: 1e18,
  ki: 1024,
  kib: 1024,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  ti: 1024 ** 4,
  tib: 1024 ** 4,
  pi: 1024 ** 5,
  pib: 1024 ** 5,
  ei: 1024 ** 6,
  eib: 1024 ** 6,
};

/** go-humanize's ParseBytes ("42 MB", "1.5KiB", "100"). */
export function parseBytes(raw: string): number {
  const m = /^\s*(\d+(?:[.,]\d+)*(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(raw);
  if (!m) return NaN;
  const unit = BYTE_UNITS[m[2].toLowerCase()];
  return unit === undefined ? NaN : Number(m[1].replaceAll(',', '')) * unit;
}
