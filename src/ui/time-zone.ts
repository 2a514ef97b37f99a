/**
 * Times in UTC (as stored, and as the CLI prints them) or in the browser's time zone: a choice in
 * the header, remembered in localStorage so that it holds across tabs and visits. Every time the
 * UI shows, and the custom range fields it reads, go through here.
 */
import { type TimeZone, formatTime } from '../view/display.js';

const KEY = 'glust.timeZone';

export function timeZone(): TimeZone {
  try {
    return localStorage.getItem(KEY) === 'local' ? 'local' : 'utc';
  } catch {
    return 'utc'; // storage disabled: the default
  }
}

export function setTimeZone(zone: TimeZone): void {
  try {
    localStorage.setItem(KEY, zone);
  } catch {
    // storage disabled: the choice lasts until the page is reloaded
  }
}

/** The browser's zone by name (`Europe/Paris`), with its offset now (`UTC+01:00`). */
export function browserZoneName(): string {
  const minutes = -new Date().getTimezoneOffset();
  const sign = minutes < 0 ? '−' : '+';
  const abs = Math.abs(minutes);
  const offset = `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  const name = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return name ? `${name}, ${offset}` : offset;
}

/** What column headings call the zone now: `UTC`, or the browser zone's name. */
export function zoneLabel(): string {
  return timeZone() === 'utc' ? 'UTC' : (Intl.DateTimeFormat().resolvedOptions().timeZone || 'local');
}

/** Unix ns → text in the chosen zone. */
export function showTime(ns: string | bigint | null): string {
  return formatTime(ns, timeZone());
}

/** RFC 3339 → a `datetime-local` input's value (to the second), in the chosen zone. */
export function toInputValue(rfc3339: string): string {
  const d = new Date(rfc3339);
  const shifted = timeZone() === 'utc' ? d : new Date(d.getTime() - d.getTimezoneOffset() * 60_000);
  return shifted.toISOString().slice(0, 19);
}

/** A `datetime-local` input's value, read in the chosen zone → RFC 3339 (UTC). */
export function fromInputValue(value: string): string {
  return new Date(timeZone() === 'utc' ? `${value}Z` : value).toISOString();
}
