// The sign-in page: a token from `fieldroute token create` (or a link with #token=...),
// checked with GET /me, then the page for its role.
import './style.css';
import { pageOf, saveToken, say } from './api.js';

const REASONS = {
  refused:
    'The server refused your token: it is unknown, revoked or expired. Sign in again with a valid token.',
  'signed-out': 'Sign in to continue.',
};

async function signIn(value, remember) {
  let response;
  try {
    response = await fetch('/me', { headers: { Authorization: `Bearer ${value}` } });
  } catch {
    say('Cannot reach the server. Check the connection and try again.', 'error');
    return;
  }
  if (response.status === 401) {
    say('That token is not valid: it is unknown, revoked or expired. Check it and try again.', 'error');
    document.getElementById('token').setAttribute('aria-invalid', 'true');
    document.getElementById('token').focus();
    return;
  }
  if (!response.ok) {
    say(`The server answered ${response.status}; try again shortly.`, 'error');
    return;
  }
  const who = await response.json();
  saveToken(value, remember);
  location.assign(pageOf(who.role));
}

const reason = new URLSearchParams(location.search).get('reason');
if (reason && REASONS[reason]) say(REASONS[reason], reason === 'refused' ? 'error' : 'info');

/** A sign-in link (`fieldroute serve --day` prints them): /#token=... */
function fromLink() {
  const value = new URLSearchParams(location.hash.slice(1)).get('token');
  if (!value) return;
  history.replaceState(null, '', location.pathname + location.search);
  signIn(value, false);
}
fromLink();
window.addEventListener('hashchange', fromLink);

document.getElementById('sign-in-form').addEventListener('submit', (event) => {
  event.preventDefault();
  signIn(document.getElementById('token').value.trim(), document.getElementById('remember').checked);
});
