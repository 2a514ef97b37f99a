/**
 * The bearer token the UI sends with its API calls when the server wants one
 * (`--auth-token-file`). The user types it into the header's Token field; it is kept in
 * sessionStorage, so it survives reloads and hash navigation in this tab and is gone when the
 * tab closes, and it is never put into a URL (URLs end up in logs and history). EventSource
 * cannot send headers, so the live tail reads its event stream with fetch instead (sse.ts).
 */
const KEY = 'glust.token';

export function getToken(): string {
  try {
    return sessionStorage.getItem(KEY) ?? '';
  } catch {
    return ''; // storage disabled: no token
  }
}

export function setToken(token: string): void {
  if (token) sessionStorage.setItem(KEY, token);
  else sessionStorage.removeItem(KEY);
}

export function authHeaders(): Record<string, string> {
  const token = getToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** The API answered 401: say what to do about it. */
export const TOKEN_HINT = 'enter the server\'s token in the Token field at the top';
