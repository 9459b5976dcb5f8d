// Relay Desk chat widget: <script src="http://HOST:8081/widget.js" data-account="demo" async></script>
// Shadow DOM keeps the page's styles out; text is only ever inserted as text.
(() => {
  const script = document.currentScript;
  const account = (script && script.dataset.account) || "demo";
  const base = new URL(script ? script.src : location.href);
  const lang = ((script && script.dataset.lang) || navigator.language || "en").slice(0, 2) === "ru" ? "ru" : "en";
  const T = {
    en: { open: "Chat with us", title: "Support", placeholder: "Type a message…", send: "Send", offline: "Reconnecting…", failed: "Not sent: ",
          attach: "Attach a file", typing: "Support is typing…",
          name: "Your name", email: "Email", topic: "Topic", start: "Start chat",
          away: "Nobody is online right now. Leave your message and your email: we will answer." },
    ru: { open: "Написать нам", title: "Поддержка", placeholder: "Напишите сообщение…", send: "Отправить", offline: "Переподключение…", failed: "Не отправлено: ",
          attach: "Прикрепить файл", typing: "Поддержка печатает…",
          name: "Ваше имя", email: "Эл. почта", topic: "Тема", start: "Начать чат",
          away: "Сейчас никого нет на месте. Оставьте сообщение и почту: мы ответим." },
  }[lang];
  const storeKey = `relaydesk.visitor.${account}`;
  const profileKey = `relaydesk.profile.${account}`;
  const reportedKey = `relaydesk.reported.${account}`;
  const filesUrl = `${base.origin}/webchat/${encodeURIComponent(account)}/files`;
  const host = document.createElement("div");
  host.setAttribute("data-relaydesk", account);
  document.body.appendChild(host);
  const root = host.attachShadow({ mode: "open" });
  const style = document.createElement("style");
  style.textContent = `
    :host { all: initial; }
    * { box-sizing: border-box; font: 14px/1.4 system-ui, sans-serif; }
    .open { position: fixed; right: 20px; bottom: 20px; border: 0; border-radius: 24px; padding: 12px 18px; background: #2f6fed; color: #fff; cursor: pointer; z-index: 2147483646; }
    .panel { position: fixed; right: 20px; bottom: 76px; width: min(360px, calc(100vw - 40px)); height: min(480px, calc(100vh - 120px)); background: #fff; border: 1px solid #ddd; border-radius: 12px; display: none; flex-direction: column; z-index: 2147483647; box-shadow: 0 8px 30px rgba(0,0,0,.15); }
    .panel.shown { display: flex; }
    header { padding: 10px 14px; font-weight: 600; border-bottom: 1px solid #eee; }
    .log { flex: 1; overflow: auto; padding: 10px; display: flex; flex-direction: column; gap: 6px; }
    .line { max-width: 80%; padding: 6px 10px; border-radius: 10px; background: #f1f3f6; white-space: pre-wrap; overflow-wrap: anywhere; }
    .line.visitor { align-self: flex-end; background: #2f6fed; color: #fff; }
    .line.pending { opacity: .6; }
    .line a { color: inherit; display: block; }
    .typing { color: #666; font-size: 12px; padding: 0 10px; min-height: 1em; font-style: italic; }
    label.attach { display: flex; align-items: center; padding: 0 6px; cursor: pointer; border-radius: 8px; }
    label.attach input { position: absolute; width: 1px; height: 1px; opacity: 0; }
    label.attach:focus-within { outline: 2px solid #2f6fed; }
    .status { color: #c62828; font-size: 12px; padding: 0 10px; min-height: 1em; }
    form { display: flex; gap: 6px; padding: 8px; border-top: 1px solid #eee; }
    form.prechat { flex-direction: column; }
    form.prechat input, form.prechat select { border: 1px solid #ccc; border-radius: 8px; padding: 8px; }
    textarea { flex: 1; resize: none; height: 40px; border: 1px solid #ccc; border-radius: 8px; padding: 8px; }
    .choices { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 6px; }
    .choice { border: 1px solid #2f6fed; border-radius: 14px; background: #fff; color: #2f6fed; padding: 3px 10px; cursor: pointer; font: inherit; text-decoration: none; }
    button.send { border: 0; border-radius: 8px; background: #2f6fed; color: #fff; padding: 0 12px; cursor: pointer; }
    :focus-visible { outline: 2px solid #2f6fed; outline-offset: 1px; }`;
  const el = (tag, attrs = {}, text) => {
    const node = document.createElement(tag);
    Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const button = el("button", { class: "open", type: "button", "aria-expanded": "false" }, T.open);
  const panel = el("section", { class: "panel", role: "dialog", "aria-label": T.title });
  const log = el("div", { class: "log", role: "log", "aria-live": "polite" });
  const status = el("div", { class: "status", role: "status" });
  const form = el("form");
  const input = el("textarea", { "aria-label": T.placeholder, placeholder: T.placeholder, maxlength: "4000" });
  const send = el("button", { class: "send", type: "submit" }, T.send);
  const picker = el("input", { type: "file", multiple: "", "aria-label": T.attach });
  const attach = el("label", { class: "attach", title: T.attach }, "📎");
  attach.append(picker);
  const typing = el("div", { class: "typing", role: "status" });
  form.append(attach, input, send);
  const prechat = el("form", { class: "prechat" });
  prechat.hidden = true;
  panel.append(el("header", {}, T.title), log, typing, status, prechat, form);

  function askProfile(departments) {
    const name = el("input", { name: "name", "aria-label": T.name, placeholder: T.name, required: "" });
    const email = el("input", { name: "email", type: "email", "aria-label": T.email, placeholder: T.email });
    const topic = el("select", { name: "department", "aria-label": T.topic });
    departments.forEach((d) => topic.append(el("option", { value: d.id }, d.name)));
    prechat.replaceChildren(name, email, ...(departments.length ? [topic] : []), el("button", { class: "send", type: "submit" }, T.start));
    prechat.hidden = false;
    form.hidden = true;
    prechat.onsubmit = (event) => {
      event.preventDefault();
      const profile = { name: name.value.trim(), email: email.value.trim(), department: departments.length ? topic.value : "" };
      localStorage.setItem(profileKey, JSON.stringify(profile));
      prechat.hidden = true;
      form.hidden = false;
      input.focus();
      if (ws) ws.close();  // reconnect, introducing ourselves with the profile
    };
  }
  root.append(style, button, panel);

  const shown = new Set();
  const agentIds = new Set();
  let typingTimer = null;
  let ws = null;
  let delay = 500;
  const unsent = [];

  function line(l, pending = false) {
    if (shown.has(l.id)) {
      const known = log.querySelector(`[data-id="${CSS.escape(l.id)}"]`);
      if (known && !pending) known.classList.remove("pending");
      return;
    }
    shown.add(l.id);
    const node = el("div", { class: `line ${l.who}${pending ? " pending" : ""}`, "data-id": l.id }, l.text);
    (l.files || []).forEach((f) => {
      const link = el("a", { href: "#", "data-file": f.name }, `📄 ${f.name}`);
      link.onclick = (event) => { event.preventDefault(); download(f).catch((e) => { status.textContent = T.failed + e.message; }); };
      node.append(link);
    });
    // Choices under an agent's line (a bot menu, a rating): a press sends its data, shown as
    // the visitor's line with the title; links open in a new tab.
    (l.buttons || []).forEach((row) => {
      const holder = el("div", { class: "choices" });
      row.forEach((b) => {
        const link = b.url && /^https?:\/\//i.test(b.url);
        if (b.url && !link) return;
        const choice = link ? el("a", { class: "choice", href: b.url, target: "_blank", rel: "noopener" }, b.text)
          : el("button", { class: "choice", type: "button", "data-choice": b.data || "" }, b.text);
        if (!link) choice.onclick = () => post(`▸ ${b.text}`, [], b.data);
        holder.append(choice);
      });
      node.append(holder);
    });
    log.append(node);
    log.scrollTop = log.scrollHeight;
    if (l.who === "agent") { typing.textContent = ""; report(); }
  }

  // Delivery reports: "received" once the browser shows an agent's line, "seen" once the
  // visitor has the chat open in a visible tab. Remembered, so a reload does not repeat them.
  function report() {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    const done = JSON.parse(localStorage.getItem(reportedKey) || "{}");
    const ids = [...log.querySelectorAll(".line.agent[data-id]")].map((n) => n.dataset.id).filter((id) => agentIds.has(id));
    const looking = panel.classList.contains("shown") && document.visibilityState === "visible";
    const received = ids.filter((id) => !done[id]);
    const seen = looking ? ids.filter((id) => done[id] !== 2) : [];
    if (received.length) ws.send(JSON.stringify({ type: "received", ids: received }));
    if (seen.length) ws.send(JSON.stringify({ type: "seen", ids: seen }));
    received.forEach((id) => { done[id] = 1; });
    seen.forEach((id) => { done[id] = 2; });
    const kept = Object.entries(done).slice(-300);
    localStorage.setItem(reportedKey, JSON.stringify(Object.fromEntries(kept)));
  }

  const auth = () => ({ Authorization: `Bearer ${localStorage.getItem(storeKey)}` });
  async function download(f) {
    const reply = await fetch(`${filesUrl}/${f.ref.slice(5)}`, { headers: auth() });
    if (!reply.ok) throw new Error(String(reply.status));
    const url = URL.createObjectURL(await reply.blob());
    const a = el("a", { href: url, download: f.name });
    root.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }
  async function upload(file) {
    const reply = await fetch(`${filesUrl}?name=${encodeURIComponent(file.name)}`, {
      method: "POST", body: file, headers: { ...auth(), "Content-Type": file.type || "application/octet-stream" } });
    const data = await reply.json().catch(() => ({}));
    if (!reply.ok) throw new Error(data.detail || String(reply.status));
    return data;
  }

  function connect() {
    const scheme = base.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${scheme}://${base.host}/webchat/${encodeURIComponent(account)}/ws`);
    ws.onopen = () => {
      const profile = JSON.parse(localStorage.getItem(profileKey) || "{}");
      // The visitor's own time zone: agents see their local time, greetings fit their hour.
      const timezone = (Intl.DateTimeFormat().resolvedOptions().timeZone || "").slice(0, 64);
      ws.send(JSON.stringify({ token: localStorage.getItem(storeKey), language: lang, timezone, page: location.href, ...profile }));
    };
    ws.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === "hello") {
        localStorage.setItem(storeKey, frame.token);
        status.textContent = "";
        delay = 500;
        if (!shown.has("greeting")) line({ id: "greeting", who: "agent", text: frame.greeting });
        if (!frame.online && !shown.has("away")) line({ id: "away", who: "agent", text: T.away });
        if ((frame.prechat || !frame.online) && !localStorage.getItem(profileKey)) askProfile(frame.departments || []);
        unsent.splice(0).forEach((m) => ws.send(JSON.stringify(m)));
      } else if (frame.type === "history") {
        frame.lines.forEach((l) => { if (l.who === "agent") agentIds.add(l.id); line(l); });
        report();
      } else if (frame.type === "line") {
        if (frame.line.who === "agent") agentIds.add(frame.line.id);
        line(frame.line);
      } else if (frame.type === "typing") {
        typing.textContent = T.typing;
        clearTimeout(typingTimer);
        typingTimer = setTimeout(() => { typing.textContent = ""; }, 6000);
      } else if (frame.type === "ack") {
        line({ id: frame.id });
      } else if (frame.type === "error") {
        status.textContent = T.failed + frame.reason;
      }
    };
    ws.onclose = (event) => {
      if (event.code === 4403) { status.textContent = T.failed + "origin"; return; }
      status.textContent = T.offline;
      setTimeout(connect, event.code === 1005 || event.code === 1000 ? 0 : delay);
      delay = Math.min(delay * 2, 10000);
    };
  }

  function post(text, files = [], choice = undefined) {
    const message = { type: "message", id: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`, text, files };
    if (choice) message.choice = choice;
    line({ id: message.id, who: "visitor", text, files }, true);
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
    else unsent.push(message);
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    post(text);
  });
  picker.addEventListener("change", async () => {
    try {
      const files = [];
      for (const file of picker.files) files.push(await upload(file));
      if (files.length) { post(input.value.trim(), files); input.value = ""; }
    } catch (failure) {
      status.textContent = T.failed + failure.message;
    }
    picker.value = "";
  });
  let typedAt = 0;
  input.addEventListener("input", () => {
    if (Date.now() - typedAt < 2000 || !ws || ws.readyState !== WebSocket.OPEN) return;
    typedAt = Date.now();
    ws.send(JSON.stringify({ type: "typing" }));
  });
  document.addEventListener("visibilitychange", report);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });
  button.addEventListener("click", () => {
    const open = panel.classList.toggle("shown");
    button.setAttribute("aria-expanded", String(open));
    if (open) { input.focus(); report(); }
  });
  connect();
})();
