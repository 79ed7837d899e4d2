// The logged-in ACL token (kept in this browser's localStorage) and what it may do.
const KEY = 'isthmus.token';

export function getToken(): string {
  try {
    return localStorage.getItem(KEY) ?? '';
  } catch {
    return '';
  }
}

export function setToken(token: string): void {
  try {
    if (token) localStorage.setItem(KEY, token);
    else localStorage.removeItem(KEY);
  } catch {
    // Storage unavailable (private mode): the token lives only for this page.
  }
}
