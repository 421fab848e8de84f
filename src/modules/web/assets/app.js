// Sentinel web UI behaviour. Loaded as a file (the Content-Security-Policy allows no inline script).
'use strict';

// Every HTMX request that changes something carries the session's CSRF token.
document.addEventListener('htmx:configRequest', (event) => {
  const token = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content');
  if (token) event.detail.headers['X-CSRF-Token'] = token;
});

// Components for Alpine's CSP build, which evaluates no expressions: behaviour is named here.
document.addEventListener('alpine:init', () => {
  window.Alpine.data('sidebar', () => ({
    open: false,
    toggle() {
      this.open = !this.open;
    },
    close() {
      this.open = false;
    },
    get sidebarClass() {
      return this.open ? 'is-open' : '';
    },
    get expanded() {
      return this.open ? 'true' : 'false';
    },
  }));
});

/**
 * Live updates: the page listens to the tenant's events and asks HTMX to refresh the parts they
 * touch (`sentinel:alerts`, `sentinel:systems`, `sentinel:lines`). After a reconnect everything is
 * refreshed, as events may have been missed. Reconnects back off from 1 s to 30 s.
 */
const LIVE_TOPICS = {
  'alert.created': 'sentinel:alerts',
  'alert.updated': 'sentinel:alerts',
  'alert.resolved': 'sentinel:alerts',
  'system.status_changed': 'sentinel:systems',
  'line.stopped': 'sentinel:lines',
  'line.started': 'sentinel:lines',
};

function startLive() {
  if (!document.querySelector('[hx-trigger*="sentinel:"]')) return;
  const indicator = document.getElementById('live-status');
  let delay = 1000;
  let connectedBefore = false;
  const connect = () => {
    const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/live`);
    socket.addEventListener('open', () => {
      delay = 1000;
      indicator?.classList.add('text-green-600');
      if (connectedBefore) for (const topic of new Set(Object.values(LIVE_TOPICS))) window.htmx.trigger(document.body, topic);
      connectedBefore = true;
    });
    socket.addEventListener('message', (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      const topic = LIVE_TOPICS[event.type];
      if (topic) window.htmx.trigger(document.body, topic);
    });
    socket.addEventListener('close', (closed) => {
      indicator?.classList.remove('text-green-600');
      // 4001: the session ended; the next request will lead to the sign-in page.
      if (closed.code === 4001) return;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30_000);
    });
  };
  connect();
}

document.addEventListener('DOMContentLoaded', startLive);
