/**
 * Intl for QuickJS, which has none: NumberFormat, DateTimeFormat, Collator, PluralRules,
 * ListFormat and RelativeTimeFormat with en-US data only (any requested locale resolves to
 * "en-US"), written after ICU's en-US output as Node 20 gives it. No library fits: the polyfills
 * need an Intl to build on and ship CLDR data far beyond the image budget. Limits (docs/api.md):
 * time zones are UTC and the runtime's own (also UTC); no calendars or numbering systems but the
 * Gregorian and Latin; the collator orders by base letters, then accents, then case (lower first),
 * not by the full Unicode Collation Algorithm.
 */
const LOCALE = "en-US";

function resolveLocale(locales: unknown): string {
  const list = locales === undefined ? [] : typeof locales === "string" ? [locales] : [...(locales as Iterable<string>)];
  for (const l of list) if (typeof l !== "string" || !/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(l)) throw new RangeError(`Incorrect locale information provided`);
  return LOCALE;
}

const supportedLocalesOf = (locales: unknown): string[] => {
  resolveLocale(locales);
  const list = locales === undefined ? [] : typeof locales === "string" ? [locales] : [...(locales as Iterable<string>)];
  return list.some((l) => /^en(-US)?$/i.test(l)) ? [LOCALE] : [];
};

function option<T extends string>(options: Record<string, unknown>, name: string, allowed: readonly T[], fallback: T): T;
function option<T extends string>(options: Record<string, unknown>, name: string, allowed: readonly T[], fallback: undefined): T | undefined;
function option<T extends string>(options: Record<string, unknown>, name: string, allowed: readonly T[], fallback: T | undefined): T | undefined {
  const value = options[name];
  if (value === undefined) return fallback;
  const text = String(value) as T;
  if (!allowed.includes(text)) throw new RangeError(`Value ${text} out of range for Intl options property ${name}`);
  return text;
}

function digits(options: Record<string, unknown>, name: string, min: number, max: number, fallback: number | undefined): number | undefined {
  const value = options[name];
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new RangeError(`${name} value is out of range.`);
  return Math.floor(n);
}

// ---------------------------------------------------------------------------------------------
// Numbers: decimal arithmetic on the shortest round-trip digits, rounded half away from zero.

/** |x| as [digit string without leading zeros, exponent]: value = 0.d1d2... * 10^exponent. */
function decimal(x: number | bigint): [string, number] {
  if (typeof x === "bigint") {
    const s = (x < 0n ? -x : x).toString();
    return s === "0" ? ["", 0] : [s.replace(/0+$/, ""), s.length];
  }
  const [mantissa, exp] = Math.abs(x).toExponential().split("e") as [string, string];
  const ds = mantissa.replace(".", "").replace(/0+$/, "");
  return ds === "0" || ds === "" ? ["", 0] : [ds, Number(exp) + 1];
}

/** Rounds to `keep` digits (from the first), half away from zero. */
function roundDigits([ds, exp]: [string, number], keep: number): [string, number] {
  if (keep < 0) return ["", 0];
  if (ds.length <= keep) return [ds, exp];
  let kept = ds.slice(0, keep);
  if (ds.charCodeAt(keep) >= 53) {
    let i = kept.length - 1;
    while (i >= 0 && kept[i] === "9") i--;
    if (i < 0) return ["1", exp + 1];
    kept = kept.slice(0, i) + String(Number(kept[i]) + 1);
  }
  kept = kept.replace(/0+$/, "");
  return kept === "" ? ["", 0] : [kept, exp];
}

/** [integer digits, fraction digits] with the fraction padded to `minFraction`. */
function layout([ds, exp]: [string, number], minInteger: number, minFraction: number): [string, string] {
  let int = ds === "" ? "0" : exp <= 0 ? "0" : ds.slice(0, exp).padEnd(exp, "0");
  let frac = ds === "" ? "" : exp >= 0 ? ds.slice(exp) : "0".repeat(-exp) + ds;
  int = int.padStart(minInteger, "0");
  frac = frac.padEnd(minFraction, "0");
  return [int, frac];
}

const group = (int: string) => int.replace(/\B(?=(\d{3})+(?!\d))/g, ",");

const CURRENCY_SYMBOLS: Record<string, string> = { USD: "$", EUR: "€", GBP: "£", JPY: "¥", INR: "₹", CNY: "CN¥", KRW: "₩", CAD: "CA$", AUD: "A$", MXN: "MX$", BRL: "R$", ILS: "₪", VND: "₫", NZD: "NZ$", HKD: "HK$", TWD: "NT$", PHP: "₱" };
const ZERO_DECIMAL_CURRENCIES = ["JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG", "RWF"];
const UNITS: Record<string, [string, string, string]> = {
  // short, singular long, plural long
  kilometer: ["km", "kilometer", "kilometers"],
  meter: ["m", "meter", "meters"],
  centimeter: ["cm", "centimeter", "centimeters"],
  mile: ["mi", "mile", "miles"],
  kilogram: ["kg", "kilogram", "kilograms"],
  gram: ["g", "gram", "grams"],
  liter: ["L", "liter", "liters"],
  second: ["sec", "second", "seconds"],
  minute: ["min", "minute", "minutes"],
  hour: ["hr", "hour", "hours"],
  day: ["day", "day", "days"],
  byte: ["byte", "byte", "bytes"],
  kilobyte: ["kB", "kilobyte", "kilobytes"],
  megabyte: ["MB", "megabyte", "megabytes"],
  gigabyte: ["GB", "gigabyte", "gigabytes"],
  percent: ["%", "percent", "percent"],
  celsius: ["°C", "degree Celsius", "degrees Celsius"],
  fahrenheit: ["°F", "degree Fahrenheit", "degrees Fahrenheit"],
};
const COMPACT = [
  [12, "T", "trillion"],
  [9, "B", "billion"],
  [6, "M", "million"],
  [3, "K", "thousand"],
] as const;

interface NumberPart {
  type: string;
  value: string;
}

export class NumberFormat {
  readonly #o: {
    style: "decimal" | "percent" | "currency" | "unit";
    currency: string | undefined;
    currencyDisplay: "symbol" | "narrowSymbol" | "code" | "name";
    currencySign: "standard" | "accounting";
    unit: string | undefined;
    unitDisplay: "short" | "long" | "narrow";
    notation: "standard" | "compact" | "scientific" | "engineering";
    compactDisplay: "short" | "long";
    signDisplay: "auto" | "always" | "never" | "exceptZero" | "negative";
    useGrouping: boolean;
    minimumIntegerDigits: number;
    minimumFractionDigits: number | undefined;
    maximumFractionDigits: number | undefined;
    minimumSignificantDigits: number | undefined;
    maximumSignificantDigits: number | undefined;
  };

  constructor(locales?: unknown, options: Record<string, unknown> = {}) {
    resolveLocale(locales);
    options = Object(options ?? {});
    const style = option(options, "style", ["decimal", "percent", "currency", "unit"] as const, "decimal");
    const currency = options.currency === undefined ? undefined : String(options.currency).toUpperCase();
    if (style === "currency" && currency === undefined) throw new TypeError("Currency code is required with currency style.");
    const unit = options.unit === undefined ? undefined : String(options.unit);
    if (style === "unit" && (unit === undefined || !(unit in UNITS))) throw new RangeError(`Invalid unit argument for Intl.NumberFormat() '${String(unit)}' (the sandbox knows ${Object.keys(UNITS).join(", ")})`);
    const currencyDigits = currency !== undefined && ZERO_DECIMAL_CURRENCIES.includes(currency) ? 0 : 2;
    const notation = option(options, "notation", ["standard", "compact", "scientific", "engineering"] as const, "standard");
    const minFD = digits(options, "minimumFractionDigits", 0, 100, undefined);
    const maxFD = digits(options, "maximumFractionDigits", 0, 100, undefined);
    const fallbackMin = style === "currency" && notation !== "compact" ? currencyDigits : 0;
    const fallbackMax = style === "currency" && notation !== "compact" ? currencyDigits : style === "percent" ? 0 : notation === "compact" ? 0 : 3;
    const minimumFractionDigits = minFD ?? Math.min(fallbackMin, maxFD ?? fallbackMin);
    const maximumFractionDigits = maxFD ?? Math.max(fallbackMax, minimumFractionDigits);
    if (minimumFractionDigits > maximumFractionDigits) throw new RangeError("maximumFractionDigits value is out of range.");
    const minSD = digits(options, "minimumSignificantDigits", 1, 21, undefined);
    const maxSD = digits(options, "maximumSignificantDigits", 1, 21, undefined);
    const grouping = options.useGrouping;
    this.#o = {
      style,
      currency,
      currencyDisplay: option(options, "currencyDisplay", ["symbol", "narrowSymbol", "code", "name"] as const, "symbol"),
      currencySign: option(options, "currencySign", ["standard", "accounting"] as const, "standard"),
      unit,
      unitDisplay: option(options, "unitDisplay", ["short", "long", "narrow"] as const, "short"),
      notation,
      compactDisplay: option(options, "compactDisplay", ["short", "long"] as const, "short"),
      signDisplay: option(options, "signDisplay", ["auto", "always", "never", "exceptZero", "negative"] as const, "auto"),
      useGrouping: grouping === undefined ? true : grouping === "min2" ? true : Boolean(grouping) && grouping !== "false",
      minimumIntegerDigits: digits(options, "minimumIntegerDigits", 1, 21, 1)!,
      minimumFractionDigits,
      maximumFractionDigits,
      minimumSignificantDigits: minSD ?? (maxSD !== undefined ? 1 : undefined),
      maximumSignificantDigits: maxSD ?? (minSD !== undefined ? 21 : undefined),
    };
  }

  static supportedLocalesOf = supportedLocalesOf;

  get format(): (value: unknown) => string {
    return (value: unknown) => this.formatToParts(value).map((p) => p.value).join("");
  }

  formatToParts(value: unknown): NumberPart[] {
    const o = this.#o;
    let x: number | bigint = typeof value === "bigint" ? value : Number(value);
    const parts: NumberPart[] = [];
    const negative = typeof x === "bigint" ? x < 0n : x < 0 || Object.is(x, -0);
    if (typeof x === "number" && o.style === "percent") x *= 100;
    let body: NumberPart[];
    let isZero = false;
    if (typeof x === "number" && Number.isNaN(x)) body = [{ type: "nan", value: "NaN" }];
    else if (typeof x === "number" && !Number.isFinite(x)) body = [{ type: "infinity", value: "∞" }];
    else {
      let d = decimal(x);
      let suffix: NumberPart[] = [];
      if (o.notation === "compact" && d[1] > 3) {
        const [power, short, long] = COMPACT.find(([p]) => d[1] > p) ?? COMPACT[3];
        // Compact numbers keep two significant digits below 100 of their unit, else whole units.
        const shifted: [string, number] = [d[0], d[1] - power];
        d = o.maximumFractionDigits === 0 && o.maximumSignificantDigits === undefined && o.minimumFractionDigits === 0 ? roundDigits(shifted, Math.max(shifted[1], 2)) : this.#round(shifted);
        if (d[1] - (d[0] === "" ? 0 : 0) > 3 && power < 12) {
          const bigger = COMPACT[COMPACT.findIndex(([p]) => p === power) - 1]!;
          d = [d[0], d[1] - 3];
          suffix = [{ type: "compact", value: o.compactDisplay === "long" ? ` ${bigger[2]}` : bigger[1] }];
        } else suffix = [{ type: "compact", value: o.compactDisplay === "long" ? ` ${long}` : short }];
      } else if (o.notation === "scientific" || o.notation === "engineering") {
        let e = d[0] === "" ? 0 : d[1] - 1;
        if (o.notation === "engineering") e = Math.floor(e / 3) * 3;
        d = this.#round([d[0], d[1] - e]);
        suffix = [
          { type: "exponentSeparator", value: "E" },
          { type: "exponentInteger", value: String(e) },
        ];
      } else d = this.#round(d);
      isZero = d[0] === "";
      const minFraction = o.minimumSignificantDigits !== undefined ? Math.max(0, o.minimumSignificantDigits - Math.max(d[1], 1)) : o.notation === "compact" ? 0 : o.minimumFractionDigits!;
      const [int, frac] = layout(d, o.minimumIntegerDigits, minFraction);
      const grouped = o.useGrouping && o.notation !== "scientific" && o.notation !== "engineering" ? group(int) : int;
      body = [];
      grouped.split(",").forEach((chunk, i) => {
        if (i > 0) body.push({ type: "group", value: "," });
        body.push({ type: "integer", value: chunk });
      });
      if (frac !== "") body.push({ type: "decimal", value: "." }, { type: "fraction", value: frac });
      body.push(...suffix);
    }
    const sign = this.#sign(negative, isZero, typeof x === "number" && Number.isNaN(x));
    const accounting = o.style === "currency" && o.currencySign === "accounting" && sign === "-";
    if (accounting) parts.push({ type: "literal", value: "(" });
    else if (sign) parts.push({ type: sign === "-" ? "minusSign" : "plusSign", value: sign });
    if (o.style === "currency") {
      const code = o.currency!;
      const symbol = o.currencyDisplay === "code" ? code : o.currencyDisplay === "narrowSymbol" ? (CURRENCY_SYMBOLS[code] ?? code).replace(/^[A-Z]+(?=\W)/, "") : (CURRENCY_SYMBOLS[code] ?? code);
      if (o.currencyDisplay === "name") parts.push(...body, { type: "literal", value: " " }, { type: "currency", value: code });
      else parts.push({ type: "currency", value: symbol }, ...(/^[A-Z]+$/.test(symbol) ? [{ type: "literal", value: "\u00a0" }] : []), ...body);
    } else parts.push(...body);
    if (accounting) parts.push({ type: "literal", value: ")" });
    if (o.style === "percent") parts.push({ type: "percentSign", value: "%" });
    if (o.style === "unit") {
      const [short, one, many] = UNITS[o.unit!]!;
      const singular = body.map((p) => p.value).join("") === "1";
      if (o.unitDisplay === "long") parts.push({ type: "literal", value: " " }, { type: "unit", value: singular ? one : many });
      else if (o.unit === "percent") parts.push({ type: "unit", value: short });
      else parts.push({ type: "literal", value: o.unitDisplay === "narrow" && /^[°%]/.test(short) ? "" : " " }, { type: "unit", value: short });
    }
    return parts;
  }

  #round(d: [string, number]): [string, number] {
    const o = this.#o;
    if (o.maximumSignificantDigits !== undefined) return roundDigits(d, o.maximumSignificantDigits);
    return roundDigits(d, d[1] + o.maximumFractionDigits!);
  }

  #sign(negative: boolean, zero: boolean, nan: boolean): string {
    switch (this.#o.signDisplay) {
      case "never":
        return "";
      case "always":
        return negative ? "-" : "+";
      case "exceptZero":
        return zero || nan ? "" : negative ? "-" : "+";
      case "negative":
        return negative && !zero ? "-" : "";
      default:
        return negative ? "-" : "";
    }
  }

  resolvedOptions(): Record<string, unknown> {
    const o = this.#o;
    const out: Record<string, unknown> = { locale: LOCALE, numberingSystem: "latn", style: o.style };
    if (o.style === "currency") Object.assign(out, { currency: o.currency, currencyDisplay: o.currencyDisplay, currencySign: o.currencySign });
    if (o.style === "unit") Object.assign(out, { unit: o.unit, unitDisplay: o.unitDisplay });
    out.minimumIntegerDigits = o.minimumIntegerDigits;
    if (o.maximumSignificantDigits !== undefined) Object.assign(out, { minimumSignificantDigits: o.minimumSignificantDigits, maximumSignificantDigits: o.maximumSignificantDigits });
    else Object.assign(out, { minimumFractionDigits: o.minimumFractionDigits, maximumFractionDigits: o.maximumFractionDigits });
    return Object.assign(out, { useGrouping: o.useGrouping ? "auto" : false, notation: o.notation, signDisplay: o.signDisplay, roundingMode: "halfExpand" });
  }

  get [Symbol.toStringTag](): string {
    return "Intl.NumberFormat";
  }
}

// ---------------------------------------------------------------------------------------------
// Dates

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
type Width = "numeric" | "2-digit";
type TextWidth = "long" | "short" | "narrow";

interface DateOptions {
  weekday?: TextWidth;
  era?: TextWidth;
  year?: Width;
  month?: Width | TextWidth;
  day?: Width;
  hour?: Width;
  minute?: Width;
  second?: Width;
  fractionalSecondDigits?: number;
  timeZoneName?: "short" | "long" | "shortOffset" | "longOffset" | "shortGeneric" | "longGeneric";
  hour12: boolean;
  timeZone: string;
  dateStyle?: "full" | "long" | "medium" | "short";
  timeStyle?: "full" | "long" | "medium" | "short";
}

const TIME_ZONES = ["UTC", "ETC/UTC", "ETC/GMT", "GMT", "ETC/UCT", "UCT", "ZULU", "ETC/ZULU"];

export class DateTimeFormat {
  readonly #o: DateOptions;

  constructor(locales?: unknown, options: Record<string, unknown> = {}) {
    resolveLocale(locales);
    options = Object(options ?? {});
    const widths = ["numeric", "2-digit"] as const;
    const texts = ["long", "short", "narrow"] as const;
    const zone = options.timeZone === undefined ? "UTC" : String(options.timeZone);
    if (!TIME_ZONES.includes(zone.toUpperCase())) throw new RangeError(`Invalid time zone specified: ${zone} (the sandbox formats in UTC only)`);
    const hourCycle = option(options, "hourCycle", ["h11", "h12", "h23", "h24"] as const, undefined);
    const o: DateOptions = {
      weekday: option(options, "weekday", texts, undefined),
      era: option(options, "era", texts, undefined),
      year: option(options, "year", widths, undefined),
      month: option(options, "month", [...widths, ...texts] as const, undefined),
      day: option(options, "day", widths, undefined),
      hour: option(options, "hour", widths, undefined),
      minute: option(options, "minute", widths, undefined),
      second: option(options, "second", widths, undefined),
      fractionalSecondDigits: digits(options, "fractionalSecondDigits", 1, 3, undefined),
      timeZoneName: option(options, "timeZoneName", ["short", "long", "shortOffset", "longOffset", "shortGeneric", "longGeneric"] as const, undefined),
      hour12: options.hour12 !== undefined ? Boolean(options.hour12) : hourCycle === undefined ? true : hourCycle === "h11" || hourCycle === "h12",
      timeZone: "UTC",
      dateStyle: option(options, "dateStyle", ["full", "long", "medium", "short"] as const, undefined),
      timeStyle: option(options, "timeStyle", ["full", "long", "medium", "short"] as const, undefined),
    };
    const explicit = o.weekday || o.era || o.year || o.month || o.day || o.hour || o.minute || o.second || o.fractionalSecondDigits;
    if ((o.dateStyle || o.timeStyle) && (explicit || o.timeZoneName)) throw new TypeError("Can't set option " + (explicit ? "fields" : "timeZoneName") + " when dateStyle or timeStyle is used");
    if (!explicit && !o.dateStyle && !o.timeStyle) Object.assign(o, { year: "numeric", month: "numeric", day: "numeric" });
    this.#o = o;
  }

  static supportedLocalesOf = supportedLocalesOf;

  get format(): (date?: unknown) => string {
    return (date?: unknown) => this.formatToParts(date).map((p) => p.value).join("");
  }

  formatToParts(date?: unknown): { type: string; value: string }[] {
    const time = date === undefined ? Date.now() : Number(date instanceof Date ? date.getTime() : date);
    if (!Number.isFinite(time)) throw new RangeError("Invalid time value");
    const d = new Date(time);
    const o = this.#o;
    const parts: { type: string; value: string }[] = [];
    const lit = (value: string) => parts.push({ type: "literal", value });
    const pad = (n: number, w: Width | undefined) => (w === "2-digit" ? String(n).padStart(2, "0").slice(-2) : String(n));
    const year = d.getUTCFullYear();
    const month = d.getUTCMonth();
    const day = d.getUTCDate();
    const weekday = d.getUTCDay();

    const datePart = (style: DateOptions["dateStyle"] | undefined): boolean => {
      const s = style ? styleFields(style) : o;
      const hasDate = s.weekday || s.year || s.month || s.day;
      if (!hasDate) return false;
      const textMonth = s.month === "long" || s.month === "short" || s.month === "narrow";
      const monthName = s.month === "long" ? MONTHS[month]! : s.month === "short" ? MONTHS[month]!.slice(0, 3) : MONTHS[month]![0]!;
      const weekdayName = s.weekday === "long" ? WEEKDAYS[weekday]! : s.weekday === "short" ? WEEKDAYS[weekday]!.slice(0, 3) : WEEKDAYS[weekday]?.[0] ?? "";
      if (s.weekday) {
        parts.push({ type: "weekday", value: weekdayName });
        if (s.year || s.month || s.day) lit(", ");
      }
      if (textMonth) {
        if (s.month) parts.push({ type: "month", value: monthName });
        if (s.day) {
          lit(" ");
          parts.push({ type: "day", value: pad(day, s.day) });
        }
        if (s.year) {
          lit(s.day ? ", " : " ");
          parts.push({ type: "year", value: s.year === "2-digit" ? pad(year % 100, "2-digit") : String(year) });
        }
      } else {
        const fields: { type: string; value: string }[] = [];
        if (s.month) fields.push({ type: "month", value: pad(month + 1, s.month as Width) });
        if (s.day) fields.push({ type: "day", value: pad(day, s.day) });
        if (s.year) fields.push({ type: "year", value: s.year === "2-digit" ? pad(year % 100, "2-digit") : String(year) });
        fields.forEach((f, i) => {
          if (i > 0) lit("/");
          parts.push(f);
        });
      }
      return true;
    };

    const timePart = (style: DateOptions["timeStyle"] | undefined): boolean => {
      const s = style ? { hour: "numeric" as Width, minute: "2-digit" as Width, second: style === "short" ? undefined : ("2-digit" as Width), timeZoneName: style === "full" ? "long" : style === "long" ? "short" : undefined } : o;
      if (!s.hour && !s.minute && !s.second && !o.fractionalSecondDigits && !s.timeZoneName) return false;
      const h = d.getUTCHours();
      const hour12 = o.hour12;
      const fields: { type: string; value: string }[] = [];
      if (s.hour) fields.push({ type: "hour", value: hour12 ? pad(h % 12 === 0 ? 12 : h % 12, s.hour) : pad(h, s.minute ? "2-digit" : s.hour) });
      if (s.minute) fields.push({ type: "minute", value: s.hour || s.second ? pad(d.getUTCMinutes(), "2-digit") : pad(d.getUTCMinutes(), s.minute) });
      if (s.second) fields.push({ type: "second", value: s.minute ? pad(d.getUTCSeconds(), "2-digit") : pad(d.getUTCSeconds(), s.second) });
      fields.forEach((f, i) => {
        if (i > 0) lit(":");
        parts.push(f);
      });
      if (o.fractionalSecondDigits) {
        if (fields.length) lit(".");
        parts.push({ type: "fractionalSecond", value: String(d.getUTCMilliseconds()).padStart(3, "0").slice(0, o.fractionalSecondDigits) });
      }
      if (s.hour && hour12) {
        lit(" ");
        parts.push({ type: "dayPeriod", value: h < 12 ? "AM" : "PM" });
      }
      if (s.timeZoneName) {
        if (fields.length || o.fractionalSecondDigits) lit(" ");
        parts.push({ type: "timeZoneName", value: s.timeZoneName === "long" ? "Coordinated Universal Time" : s.timeZoneName === "shortOffset" || s.timeZoneName === "longOffset" ? "GMT" : "UTC" });
      }
      return true;
    };

    const joinAt = (o.dateStyle === "full" || o.dateStyle === "long") && o.timeStyle ? " at " : !o.dateStyle && (o.month === "long" || o.month === "short") && o.day && o.year && o.hour ? " at " : ", ";
    const hadDate = datePart(o.dateStyle);
    if (!o.dateStyle && !o.timeStyle && !o.hour && !o.minute && !o.second && !o.fractionalSecondDigits && o.timeZoneName) {
      if (hadDate) lit(", ");
      timePart(undefined);
      return parts;
    }
    const mark = parts.length;
    if (o.dateStyle && !o.timeStyle) return parts;
    if (hadDate) lit(joinAt);
    if (!timePart(o.timeStyle) && hadDate) parts.splice(mark);
    return parts;
  }

  formatRange(start: unknown, end: unknown): string {
    return `${this.format(start)} – ${this.format(end)}`;
  }

  resolvedOptions(): Record<string, unknown> {
    const o = this.#o;
    const out: Record<string, unknown> = { locale: LOCALE, calendar: "gregory", numberingSystem: "latn", timeZone: o.timeZone };
    if (o.hour || o.timeStyle) Object.assign(out, { hourCycle: o.hour12 ? "h12" : "h23", hour12: o.hour12 });
    for (const key of ["weekday", "era", "year", "month", "day", "hour", "minute", "second", "fractionalSecondDigits", "timeZoneName", "dateStyle", "timeStyle"] as const) if (o[key] !== undefined) out[key] = o[key];
    return out;
  }

  get [Symbol.toStringTag](): string {
    return "Intl.DateTimeFormat";
  }
}

function styleFields(style: "full" | "long" | "medium" | "short"): Partial<DateOptions> {
  switch (style) {
    case "full":
      return { weekday: "long", month: "long", day: "numeric", year: "numeric" };
    case "long":
      return { month: "long", day: "numeric", year: "numeric" };
    case "medium":
      return { month: "short", day: "numeric", year: "numeric" };
    default:
      return { month: "numeric", day: "numeric", year: "2-digit" };
  }
}

const DATE_FIELDS = ["weekday", "year", "month", "day", "dateStyle"];
const TIME_FIELDS = ["hour", "minute", "second", "fractionalSecondDigits", "dayPeriod", "timeStyle"];

/** Date.prototype.toLocaleString, toLocaleDateString and toLocaleTimeString (ECMA-402's ToDateTimeOptions defaults). */
export function dateToLocale(date: Date, which: "any" | "date" | "time", locales: unknown, options: unknown): string {
  const o: Record<string, unknown> = { ...Object(options ?? {}) };
  const has = (fields: string[]) => fields.some((f) => o[f] !== undefined);
  if (which !== "time" && !has(DATE_FIELDS) && (which === "date" || !has(TIME_FIELDS))) Object.assign(o, { year: "numeric", month: "numeric", day: "numeric" });
  if (which !== "date" && !has(TIME_FIELDS) && (which === "time" || !has(DATE_FIELDS) || o.year === "numeric")) Object.assign(o, { hour: "numeric", minute: "2-digit", second: "2-digit" });
  const time = date.getTime();
  return Number.isNaN(time) ? "Invalid Date" : new DateTimeFormat(locales, o).format(time);
}

// ---------------------------------------------------------------------------------------------
// Collation, plurals, lists, relative times

export class Collator {
  readonly #sensitivity: "base" | "accent" | "case" | "variant";
  readonly #numeric: boolean;
  readonly #ignorePunctuation: boolean;
  readonly #caseFirst: "upper" | "lower" | "false";

  constructor(locales?: unknown, options: Record<string, unknown> = {}) {
    resolveLocale(locales);
    options = Object(options ?? {});
    option(options, "usage", ["sort", "search"] as const, "sort");
    this.#sensitivity = option(options, "sensitivity", ["base", "accent", "case", "variant"] as const, "variant");
    this.#numeric = Boolean(options.numeric);
    this.#ignorePunctuation = Boolean(options.ignorePunctuation);
    this.#caseFirst = option(options, "caseFirst", ["upper", "lower", "false"] as const, "false");
  }

  static supportedLocalesOf = supportedLocalesOf;

  get compare(): (a: unknown, b: unknown) => number {
    return (a: unknown, b: unknown) => this.#compare(String(a), String(b));
  }

  #compare(a: string, b: string): number {
    if (this.#ignorePunctuation) {
      a = a.replace(/[\p{P}\s]/gu, "");
      b = b.replace(/[\p{P}\s]/gu, "");
    }
    const base = (s: string) => s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
    const primary = this.#order(base(a), base(b));
    if (primary !== 0 || this.#sensitivity === "base") return primary;
    if (this.#sensitivity !== "case") {
      const accents = this.#order(a.normalize("NFD").toLowerCase(), b.normalize("NFD").toLowerCase());
      if (accents !== 0) return accents;
      if (this.#sensitivity === "accent") return 0;
    }
    // Case: lower case first unless told otherwise.
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const x = a[i]!;
      const y = b[i]!;
      if (x === y) continue;
      const xLower = x === x.toLowerCase();
      const yLower = y === y.toLowerCase();
      if (xLower !== yLower) return (xLower ? -1 : 1) * (this.#caseFirst === "upper" ? -1 : 1);
    }
    return 0;
  }

  /** Code point order, with digit runs compared as numbers under `numeric`, and punctuation before digits before letters. */
  #order(a: string, b: string): number {
    const rank = (c: string) => (/[\p{L}]/u.test(c) ? 2 : /\p{N}/u.test(c) ? 1 : 0);
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      if (this.#numeric && /\d/.test(a[i]!) && /\d/.test(b[j]!)) {
        const x = /^\d+/.exec(a.slice(i))![0];
        const y = /^\d+/.exec(b.slice(j))![0];
        const diff = x.replace(/^0+/, "").length - y.replace(/^0+/, "").length || (x.replace(/^0+/, "") < y.replace(/^0+/, "") ? -1 : x.replace(/^0+/, "") > y.replace(/^0+/, "") ? 1 : 0);
        if (diff !== 0) return diff < 0 ? -1 : 1;
        i += x.length;
        j += y.length;
        continue;
      }
      const x = a[i]!;
      const y = b[j]!;
      if (x !== y) {
        const r = rank(x) - rank(y);
        if (r !== 0) return r < 0 ? -1 : 1;
        return x < y ? -1 : 1;
      }
      i++;
      j++;
    }
    return a.length - i === b.length - j ? 0 : a.length - i < b.length - j ? -1 : 1;
  }

  resolvedOptions(): Record<string, unknown> {
    return { locale: LOCALE, usage: "sort", sensitivity: this.#sensitivity, ignorePunctuation: this.#ignorePunctuation, collation: "default", numeric: this.#numeric, caseFirst: this.#caseFirst };
  }

  get [Symbol.toStringTag](): string {
    return "Intl.Collator";
  }
}

export class PluralRules {
  readonly #type: "cardinal" | "ordinal";
  readonly #format: NumberFormat;

  constructor(locales?: unknown, options: Record<string, unknown> = {}) {
    resolveLocale(locales);
    options = Object(options ?? {});
    this.#type = option(options, "type", ["cardinal", "ordinal"] as const, "cardinal");
    this.#format = new NumberFormat(LOCALE, { ...options, useGrouping: false, style: "decimal" });
  }

  static supportedLocalesOf = supportedLocalesOf;

  select(value: unknown): "one" | "two" | "few" | "other" {
    const text = this.#format.format(Math.abs(Number(value)));
    if (this.#type === "cardinal") return text === "1" ? "one" : "other";
    if (!/^\d+$/.test(text)) return "other";
    const n = Number(text);
    if (n % 10 === 1 && n % 100 !== 11) return "one";
    if (n % 10 === 2 && n % 100 !== 12) return "two";
    if (n % 10 === 3 && n % 100 !== 13) return "few";
    return "other";
  }

  resolvedOptions(): Record<string, unknown> {
    return { locale: LOCALE, type: this.#type, pluralCategories: this.#type === "cardinal" ? ["one", "other"] : ["few", "one", "two", "other"] };
  }

  get [Symbol.toStringTag](): string {
    return "Intl.PluralRules";
  }
}

export class ListFormat {
  readonly #type: "conjunction" | "disjunction" | "unit";
  readonly #style: "long" | "short" | "narrow";

  constructor(locales?: unknown, options: Record<string, unknown> = {}) {
    resolveLocale(locales);
    options = Object(options ?? {});
    this.#type = option(options, "type", ["conjunction", "disjunction", "unit"] as const, "conjunction");
    this.#style = option(options, "style", ["long", "short", "narrow"] as const, "long");
  }

  static supportedLocalesOf = supportedLocalesOf;

  format(list: Iterable<unknown>): string {
    const items = [...list].map((x) => {
      if (typeof x !== "string") throw new TypeError("Iterable yielded a non-String value");
      return x;
    });
    const word = this.#type === "disjunction" ? "or" : this.#style === "long" ? "and" : this.#style === "short" ? "&" : "";
    if (this.#type === "unit") return items.join(this.#style === "narrow" ? " " : ", ");
    if (items.length <= 1) return items.join("");
    if (items.length === 2) return word ? `${items[0]} ${word} ${items[1]}` : `${items[0]}, ${items[1]}`;
    return `${items.slice(0, -1).join(", ")}, ${word ? `${word} ` : ""}${items[items.length - 1]}`;
  }

  resolvedOptions(): Record<string, unknown> {
    return { locale: LOCALE, type: this.#type, style: this.#style };
  }
}

const RELATIVE_UNITS = ["year", "quarter", "month", "week", "day", "hour", "minute", "second"];

export class RelativeTimeFormat {
  readonly #numeric: "always" | "auto";
  readonly #format = new NumberFormat(LOCALE);

  constructor(locales?: unknown, options: Record<string, unknown> = {}) {
    resolveLocale(locales);
    options = Object(options ?? {});
    this.#numeric = option(options, "numeric", ["always", "auto"] as const, "always");
    option(options, "style", ["long", "short", "narrow"] as const, "long");
  }

  static supportedLocalesOf = supportedLocalesOf;

  format(value: unknown, unit: string): string {
    const n = Number(value);
    const name = String(unit).replace(/s$/, "");
    if (!RELATIVE_UNITS.includes(name)) throw new RangeError(`Invalid unit argument for format() '${String(unit)}'`);
    if (this.#numeric === "auto") {
      const special: Record<string, Record<number, string>> = {
        day: { [-1]: "yesterday", 0: "today", 1: "tomorrow" },
        year: { [-1]: "last year", 0: "this year", 1: "next year" },
        month: { [-1]: "last month", 0: "this month", 1: "next month" },
        week: { [-1]: "last week", 0: "this week", 1: "next week" },
        quarter: { [-1]: "last quarter", 0: "this quarter", 1: "next quarter" },
        hour: { 0: "this hour" },
        minute: { 0: "this minute" },
        second: { 0: "now" },
      };
      const text = special[name]?.[n];
      if (text !== undefined && !Object.is(n, -0)) return text;
    }
    const amount = this.#format.format(Math.abs(n));
    const label = amount === "1" ? name : `${name}s`;
    return n < 0 || Object.is(n, -0) ? `${amount} ${label} ago` : `in ${amount} ${label}`;
  }

  resolvedOptions(): Record<string, unknown> {
    return { locale: LOCALE, style: "long", numeric: this.#numeric, numberingSystem: "latn" };
  }
}

export const Intl = {
  NumberFormat,
  DateTimeFormat,
  Collator,
  PluralRules,
  ListFormat,
  RelativeTimeFormat,
  getCanonicalLocales(locales?: unknown): string[] {
    return locales === undefined ? [] : supportedLocalesOf(locales).length ? [LOCALE] : [];
  },
  supportedValuesOf(key: string): string[] {
    const values: Record<string, string[]> = { calendar: ["gregory"], collation: ["default"], currency: Object.keys(CURRENCY_SYMBOLS), numberingSystem: ["latn"], timeZone: ["UTC"], unit: Object.keys(UNITS) };
    const found = values[String(key)];
    if (found === undefined) throw new RangeError(`Invalid key : ${String(key)}`);
    return [...found];
  },
  [Symbol.toStringTag]: "Intl",
};
