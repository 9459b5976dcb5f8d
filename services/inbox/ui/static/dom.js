// The only way the UI builds markup: elements and text nodes, never HTML strings, so nothing
// a customer writes can become markup or script.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "value") el.value = value;
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function options(items, selected) {
  return items.map(([value, label]) => h("option", { value, selected: value === selected }, label));
}

// Intl formatters are costly to build (a 500-message ticket built 1,000 of them on each
// render): one per language and style, kept.
const formatters = new Map();
export function formatter(lang, options) {
  const key = `${lang}|${JSON.stringify(options)}`;
  if (!formatters.has(key)) formatters.set(key, new Intl.DateTimeFormat(lang || undefined, options));
  return formatters.get(key);
}

export function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  const today = new Date().toDateString() === date.toDateString();
  return today ? formatter("", { hour: "2-digit", minute: "2-digit" }).format(date)
    : formatter("", { dateStyle: "short", timeStyle: "short" }).format(date);
}

export function beep() {
  try {
    const audio = new AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.value = 0.05;
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.12);
  } catch (error) {
    // No audio device: notifications stay visual.
  }
}
