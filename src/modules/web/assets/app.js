// Sentinel web UI behaviour. Loaded as a file (the Content-Security-Policy allows no inline script),
// served after HTMX in one script that the page loads async (see assets.ts), inside a function of its own.
'use strict';

// Every HTMX request that changes something carries the session's CSRF token.
document.addEventListener('htmx:configRequest', (event) => {
  const token = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content');
  if (token) event.detail.headers['X-CSRF-Token'] = token;
});

/**
 * What an HTMX request could not do shows in the page's message area (`#toasts`, from the layout):
 * the server's problem (RFC 9457 JSON, in the page's language) or the lack of a connection. Each
 * message stays until dismissed; the page itself is left as it was.
 */
const MAX_TOASTS = 3;

function showToast(title, detail) {
  const region = document.getElementById('toasts');
  const template = document.getElementById('toast-template');
  if (!region || !template) return;
  const list = region.querySelector('[data-toast-list]');
  const toast = template.content.firstElementChild.cloneNode(true);
  toast.querySelector('[data-toast-title]').textContent = title;
  toast.querySelector('[data-toast-detail]').textContent = detail;
  toast.querySelector('[data-toast-dismiss]').addEventListener('click', () => toast.remove());
  list.append(toast);
  while (list.children.length > MAX_TOASTS) list.firstElementChild.remove();
}

document.addEventListener('htmx:responseError', (event) => {
  const words = document.getElementById('toasts')?.dataset ?? {};
  let problem;
  try {
    problem = JSON.parse(event.detail.xhr.responseText);
  } catch {
    problem = undefined;
  }
  const title = typeof problem?.title === 'string' ? problem.title : words.errorTitle;
  const detail = typeof problem?.detail === 'string' ? problem.detail : words.errorBody;
  showToast(title ?? '', detail ?? '');
});

document.addEventListener('htmx:sendError', () => {
  const words = document.getElementById('toasts')?.dataset ?? {};
  showToast(words.networkTitle ?? '', words.networkBody ?? '');
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

  // A stop's classification: picking a reason from the tenant's list selects that reason's category.
  window.Alpine.data('downtimeForm', () => ({
    reasonChosen(event) {
      const category = event.target.selectedOptions[0]?.dataset.category;
      const select = event.target.form?.querySelector('[data-category-select]');
      if (category && select) select.value = category;
    },
  }));
});

/**
 * Live updates: the page listens to the tenant's events and asks HTMX to refresh the parts they
 * touch (`sentinel:alerts`, `sentinel:systems`, `sentinel:lines`). The feed counts as connected when
 * the server says `hello` (it is then subscribed; the socket opens a little earlier). After a
 * reconnect everything is refreshed, as events may have been missed. Reconnects back off from 1 s to 30 s.
 */
const LIVE_TOPICS = {
  'alert.created': 'sentinel:alerts',
  'alert.updated': 'sentinel:alerts',
  'alert.resolved': 'sentinel:alerts',
  'system.status_changed': 'sentinel:systems',
  'line.stopped': 'sentinel:lines',
  'line.started': 'sentinel:lines',
  'downtime.updated': 'sentinel:downtime',
  'vulnerability.updated': 'sentinel:vulnerabilities',
};

/**
 * A part (an element with an id whose hx-trigger names a topic) must end up showing what the server
 * had after the latest event of each topic it listens to, i.e. be refreshed by a request that
 * started after that event. HTMX alone can miss one: an event that arrives while the part is
 * refreshing is queued on the element its answer then replaces (outerHTML), and the replacement
 * listens only once HTMX has set it up. So every event is also recorded, and whenever a part is
 * idle (after each event, each refresh and each swap) a part whose last refresh started before the
 * latest event of one of its topics is refreshed again. A failed refresh is not retried until the
 * next event or reconnect (its error shows in the message area).
 */
// Moments are a counter, not a clock: an event and a request are ordered even within one clock tick.
let moment = 0;
const lastEventAt = new Map();
const refreshStartedAt = new Map();
const refreshedFrom = new Map();
const listensTo = (element, topic) => (element.getAttribute('hx-trigger') ?? '').includes(topic);
const isPart = (element) => element instanceof window.Element && element.id !== '' && listensTo(element, 'sentinel:');

function isStale(part) {
  const from = refreshedFrom.get(part.id) ?? 0;
  return [...lastEventAt].some(([topic, at]) => at > from && listensTo(part, topic));
}

function refreshStaleParts() {
  for (const part of document.querySelectorAll('[id][hx-trigger*="sentinel:"]')) {
    if (refreshStartedAt.has(part.id) || !isStale(part)) continue;
    window.htmx.ajax('GET', part.getAttribute('hx-get'), { source: part, target: part, swap: 'outerHTML' }).catch(() => undefined);
  }
}

function announce(topic) {
  lastEventAt.set(topic, ++moment);
  window.htmx.trigger(document.body, topic);
  refreshStaleParts();
}

document.addEventListener('htmx:beforeRequest', (event) => {
  if (isPart(event.detail.elt)) refreshStartedAt.set(event.detail.elt.id, ++moment);
});
document.addEventListener('htmx:afterRequest', (event) => {
  // The element that asked (one its answer replaced reports through its parent).
  const element = event.detail.requestConfig?.elt ?? event.detail.elt;
  if (!isPart(element) || !refreshStartedAt.has(element.id)) return;
  if (event.detail.successful) refreshedFrom.set(element.id, refreshStartedAt.get(element.id));
  refreshStartedAt.delete(element.id);
  // A replaced part is refreshed again once HTMX has set up its replacement (htmx:load).
  if (element.isConnected) refreshStaleParts();
});
document.addEventListener('htmx:load', refreshStaleParts);

function startLive() {
  if (!document.querySelector('[hx-trigger*="sentinel:"]')) return;
  const indicator = document.getElementById('live-status');
  let delay = 1000;
  let connectedBefore = false;
  const connect = () => {
    const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/live`);
    socket.addEventListener('message', (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (event.type === 'hello') {
        delay = 1000;
        indicator?.classList.add('text-green-600');
        if (connectedBefore) for (const topic of new Set(Object.values(LIVE_TOPICS))) announce(topic);
        connectedBefore = true;
        return;
      }
      const topic = LIVE_TOPICS[event.type];
      if (topic) announce(topic);
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

/**
 * Charts: every `canvas[data-chart]` holds a chart spec (the widget engine's `widget_type`, `labels`
 * and `datasets`, or a gauge's `value` and `max`) and is drawn with Chart.js, on load and whenever
 * HTMX swaps a fragment in. A chart about to be swapped out is destroyed first.
 */
const CHART_COLORS = ['#2b7cee', '#16a34a', '#f59e0b', '#dc2626', '#8b5cf6', '#0891b2', '#db2777', '#64748b'];

function chartTextColor() {
  return document.documentElement.classList.contains('dark') ? '#cbd5e1' : '#334155';
}

function chartConfig(spec) {
  const color = chartTextColor();
  const datasets = (spec.datasets || []).map((dataset, index) => ({
    label: dataset.unit ? `${dataset.label} (${dataset.unit})` : dataset.label,
    data: dataset.data,
    backgroundColor: spec.widget_type === 'pie_chart' || spec.widget_type === 'doughnut'
      ? dataset.data.map((_, i) => CHART_COLORS[i % CHART_COLORS.length])
      : CHART_COLORS[index % CHART_COLORS.length],
    borderColor: CHART_COLORS[index % CHART_COLORS.length],
    tension: 0.25,
    spanGaps: false,
  }));
  const common = { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { labels: { color } } } };
  const axes = (stacked) => ({
    x: { stacked, ticks: { color }, grid: { color: 'rgba(100,116,139,0.2)' } },
    y: { stacked, beginAtZero: true, ticks: { color }, grid: { color: 'rgba(100,116,139,0.2)' } },
  });
  switch (spec.widget_type) {
    case 'line_chart':
      return { type: 'line', data: { labels: spec.labels, datasets }, options: { ...common, scales: axes(false) } };
    case 'bar_chart':
      return { type: 'bar', data: { labels: spec.labels, datasets }, options: { ...common, scales: axes(false) } };
    case 'stacked_bar':
      return { type: 'bar', data: { labels: spec.labels, datasets }, options: { ...common, scales: axes(true) } };
    case 'pie_chart':
      return { type: 'pie', data: { labels: spec.labels, datasets }, options: common };
    case 'doughnut':
      return { type: 'doughnut', data: { labels: spec.labels, datasets }, options: common };
    case 'gauge': {
      const max = spec.max || 1;
      const value = Math.max(0, Math.min(spec.value ?? 0, max));
      return {
        type: 'doughnut',
        data: { datasets: [{ data: [value, max - value], backgroundColor: [CHART_COLORS[0], 'rgba(100,116,139,0.25)'], borderWidth: 0 }] },
        options: { ...common, rotation: -90, circumference: 180, cutout: '70%', plugins: { legend: { display: false }, tooltip: { enabled: false } } },
      };
    }
    default:
      return undefined;
  }
}

function drawCharts(root) {
  if (!window.Chart) return;
  for (const canvas of root.querySelectorAll('canvas[data-chart]')) {
    if (window.Chart.getChart(canvas)) continue;
    let spec;
    try {
      spec = JSON.parse(canvas.getAttribute('data-chart'));
    } catch {
      continue;
    }
    const config = chartConfig(spec);
    if (config) new window.Chart(canvas, config);
  }
}

/**
 * What the first paint does not need runs after DOMContentLoaded: Alpine (its components only react
 * to clicks) and Chart.js (200 KB). The layout names them in `<meta name="late-script:…">` and
 * preloads them, so they download beside the page; each is added once, when first needed.
 */
const lateScripts = new Map();

function lateScript(name) {
  if (!lateScripts.has(name)) {
    lateScripts.set(name, new Promise((resolve, reject) => {
      const url = document.querySelector(`meta[name="late-script:${name}"]`)?.content;
      if (!url) return reject(new Error(`no ${name} script`));
      const script = document.createElement('script');
      script.src = url;
      script.addEventListener('load', resolve, { once: true });
      script.addEventListener('error', reject, { once: true });
      document.head.append(script);
    }));
  }
  return lateScripts.get(name);
}

function drawChartsIn(root) {
  if (root.querySelector('canvas[data-chart]')) lateScript('chart').then(() => drawCharts(root), () => {});
}

document.addEventListener('DOMContentLoaded', () => {
  lateScript('alpine').catch(() => {});
  drawChartsIn(document);
});
document.addEventListener('htmx:afterSettle', (event) => drawChartsIn(event.detail.elt));
document.addEventListener('htmx:beforeSwap', (event) => {
  for (const canvas of event.detail.target.querySelectorAll('canvas[data-chart]')) window.Chart?.getChart(canvas)?.destroy();
});

// This file runs async (after HTMX, in the same file), so the document may have finished parsing
// before it ran: DOMContentLoaded has then passed, and HTMX's start and the listeners above would
// never run. They get the event now (HTMX starts on it; it started already if the page had loaded).
const navigation = window.performance.getEntriesByType('navigation')[0];
if (navigation ? navigation.domContentLoadedEventStart > 0 : document.readyState === 'complete') document.dispatchEvent(new window.Event('DOMContentLoaded'));
