// The inbox API as the UI uses it: bearer-token fetch, and the live event stream with resume.
// Everything goes through /api/v1 like any other client; the UI has no private door.

export class ApiError extends Error {
  constructor(status, body) {
    const detail = body && body.detail;
    const text = Array.isArray(detail)
      ? detail.map((d) => `${(d.loc || []).slice(-1)[0] || ""}: ${d.msg}`).join("; ")
      : detail || `HTTP ${status}`;
    super(text);
    this.status = status;
    this.body = body;
  }
}

export class Api {
  constructor(onUnauthorized) {
    this.token = sessionStorage.getItem("relaydesk.token");
    this.onUnauthorized = onUnauthorized;
  }

  async call(method, path, body, query) {
    const url = new URL(`/api/v1${path}`, location.origin);
    for (const [key, value] of Object.entries(query || {})) {
      for (const item of [].concat(value)) {
        if (item !== undefined && item !== null && item !== "") url.searchParams.append(key, item);
      }
    }
    const headers = { Accept: "application/json" };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const reply = await fetch(url, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (reply.status === 401 && path !== "/auth/login") this.onUnauthorized();
    const data = reply.status === 204 ? null : await reply.json().catch(() => null);
    if (!reply.ok) throw new ApiError(reply.status, data);
    return data;
  }

  async upload(file) {
    const url = new URL("/api/v1/files", location.origin);
    url.searchParams.set("name", file.name);
    const reply = await fetch(url, {
      method: "POST", body: file,
      headers: { Authorization: `Bearer ${this.token}`, "Content-Type": file.type || "application/octet-stream" },
    });
    const data = await reply.json().catch(() => null);
    if (!reply.ok) throw new ApiError(reply.status, data);
    return data;
  }

  // Files need the bearer token, which a plain link cannot send: fetch, then hand the
  // browser a blob to save.
  async blob(path) {
    const reply = await fetch(`/api/v1${path}`, { headers: { Authorization: `Bearer ${this.token}` } });
    if (!reply.ok) throw new ApiError(reply.status, await reply.json().catch(() => null));
    return reply.blob();
  }

  async download(path, name) {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await this.blob(path));
    link.download = name;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }

  async login(email, password) {
    const session = await this.call("POST", "/auth/login", { email, password });
    this.token = session.token;
    sessionStorage.setItem("relaydesk.token", session.token);
    return session;
  }

  // Ends the token on the server too (every session of this agent), then forgets it here.
  async endSession() {
    if (this.token) {
      const headers = { Authorization: `Bearer ${this.token}` };
      await fetch("/api/v1/auth/logout", { method: "POST", headers }).catch(() => null);
    }
    this.logout();
  }

  logout() {
    this.token = null;
    sessionStorage.removeItem("relaydesk.token");
  }
}

// Reconnects with the last event id it saw, so nothing is missed across a network blip.
export class EventStream {
  constructor(api, onEvent, onState) {
    this.api = api;
    this.onEvent = onEvent;
    this.onState = onState;
    this.lastId = null;
    this.closed = false;
    this.delay = 500;
  }

  open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.ws = new WebSocket(`${scheme}://${location.host}/api/v1/stream`);
    this.ws.onopen = () => {
      const first = { token: this.api.token };
      if (this.lastId) first.last_event_id = this.lastId;
      this.ws.send(JSON.stringify(first));
    };
    this.ws.onmessage = (message) => {
      const frame = JSON.parse(message.data);
      if (frame.type === "hello") {
        this.delay = 500;
        this.lastId = frame.last_event_id;
        this.onState(true);
        return;
      }
      if (frame.id) this.lastId = frame.id;
      this.onEvent(frame);
    };
    this.ws.onclose = (event) => {
      this.onState(false);
      if (this.closed) return;
      if (event.code === 4401) return this.api.onUnauthorized();
      setTimeout(() => this.open(), this.delay);
      this.delay = Math.min(this.delay * 2, 10000);
    };
  }

  close() {
    this.closed = true;
    if (this.ws) this.ws.close();
  }
}
