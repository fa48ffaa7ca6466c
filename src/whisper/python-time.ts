// Local-time renderings of unix seconds as whisper-dump/whisper-fetch --pretty print them: Python's
// time.ctime() ("Tue Nov 14 22:13:27 2023") and time.strftime() for -t/--time-format. Local time comes
// from the TZ environment (as for Python), through JS Date's local getters.

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const two = (n: number): string => String(n).padStart(2, '0');

/** time.ctime(t): "%a %b %e %H:%M:%S %Y" in local time. */
export function ctime(t: number): string {
  return strftime('%a %b %e %H:%M:%S %Y', t);
}

function utcOffset(d: Date): string {
  const off = -d.getTimezoneOffset();
  const a = Math.abs(off);
  return `${off < 0 ? '-' : '+'}${two(Math.floor(a / 60))}${two(a % 60)}`;
}

function zoneName(d: Date): string {
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName');
  return part?.value ?? '';
}

function dayOfYear(d: Date): number {
  const start = new Date(d.getFullYear(), 0, 1);
  return Math.round((Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) - Date.UTC(start.getFullYear(), 0, 1)) / 86400000) + 1;
}

/**
 * time.strftime(format, time.localtime(t)) for the C locale's directives (%a %A %b %B %c %d %D %e %F
 * %H %I %j %m %M %p %s %S %T %u %w %y %Y %z %Z %%); any other directive is copied as written, as
 * glibc does.
 */
export function strftime(format: string, t: number): string {
  const d = new Date(t * 1000);
  return format.replace(/%(.)/gs, (whole, c: string) => {
    switch (c) {
      case 'a':
        return DAYS[d.getDay()]!.slice(0, 3);
      case 'A':
        return DAYS[d.getDay()]!;
      case 'b':
      case 'h':
        return MONTHS[d.getMonth()]!.slice(0, 3);
      case 'B':
        return MONTHS[d.getMonth()]!;
      case 'c':
        return strftime('%a %b %e %H:%M:%S %Y', t);
      case 'd':
        return two(d.getDate());
      case 'D':
        return strftime('%m/%d/%y', t);
      case 'e':
        return String(d.getDate()).padStart(2, ' ');
      case 'F':
        return strftime('%Y-%m-%d', t);
      case 'H':
        return two(d.getHours());
      case 'I':
        return two(d.getHours() % 12 === 0 ? 12 : d.getHours() % 12);
      case 'j':
        return String(dayOfYear(d)).padStart(3, '0');
      case 'm':
        return two(d.getMonth() + 1);
      case 'M':
        return two(d.getMinutes());
      case 'p':
        return d.getHours() < 12 ? 'AM' : 'PM';
      case 's':
        return String(t);
      case 'S':
        return two(d.getSeconds());
      case 'T':
        return strftime('%H:%M:%S', t);
      case 'u':
        return String(d.getDay() === 0 ? 7 : d.getDay());
      case 'w':
        return String(d.getDay());
      case 'y':
        return two(d.getFullYear() % 100);
      case 'Y':
        return String(d.getFullYear());
      case 'z':
        return utcOffset(d);
      case 'Z':
        return zoneName(d);
      case '%':
        return '%';
      default:
        return whole;
    }
  });
}
