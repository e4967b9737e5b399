/** User-agent classes, ordered from ordinary to suspicious (the order is the feature value). */
export const UA_CLASSES = ['browser', 'other', 'bot', 'empty', 'tool'] as const;
export type UaClass = (typeof UA_CLASSES)[number];

/**
 * Scanners, by the names in OWASP CRS's rules/scanners-user-agents.data (Apache-2.0; ZmEu, Morfeus, Nessus, ... sign
 * their probes).
 */
const UA_SCANNER =
  /sqlmap|nikto|nmap|masscan|zgrab|nuclei|dirbuster|gobuster|feroxbuster|wfuzz|ffuf|fuzz faster|hydra|acunetix|burp|wpscan|wpprobe|dotdotpwn|commix|zmeu|morfeus|mozlila|nessus|openvas|netsparker|nettacker|arachni|w3af|webshag|whatweb|whatwaf|skipfish|wapiti|appspider|appscan|qualysguard|n-stalker|havij|sqlninja|ghauri|jsql|xsstrike|xsser|joomscan|droopescan|cmsmap|fimap|lfisuite|lfimap|kadimus|tplmap|sstimap|jbrofuzz|libwhisker|jorgee|l9explore|l9tcpid|detectify|sysscan|tsunamisecurityscanner|shortscan|graphw00f|bfac/i;
/** The HTTP libraries and command-line clients that scripts use: tools, but also every API client's. */
const UA_LIBRARY = /curl\/|wget\/|python-requests|python-urllib|go-http-client|libwww-perl|java\/|okhttp|httpclient/i;
const UA_BOT = /bot\b|bot\/|crawl|spider|slurp|bingpreview|facebookexternalhit|monitor|pingdom/i;
const UA_BROWSER = /mozilla\/|opera\//i;

export function uaClass(ua: string | undefined): UaClass {
  if (!ua || ua === '-') return 'empty';
  if (UA_SCANNER.test(ua) || UA_LIBRARY.test(ua)) return 'tool';
  if (UA_BOT.test(ua)) return 'bot';
  if (UA_BROWSER.test(ua)) return 'browser';
  return 'other';
}

/** Whether a user agent names a security scanner (not merely an HTTP library). */
export function uaIsScanner(ua: string): boolean {
  return UA_SCANNER.test(ua);
}

/** The name of the tool in a tool user agent ("sqlmap"), for reasons. */
export function uaToolName(ua: string): string {
  const m = UA_SCANNER.exec(ua) ?? UA_LIBRARY.exec(ua);
  return m ? m[0].replace(/\/$/, '').toLowerCase() : ua.slice(0, 40);
}
