// Colour contrast as WCAG 2 measures it, in the page: the contrast ratio of a text's colour
// against the background it is drawn on (the first opaque background behind it, with any
// translucent ones between composited over it). Shared by the browser tests that hold the pages
// to a contrast (wallboard.test.mjs, dark-mode.test.mjs).

/**
 * Runs in the page (`page.evaluate(measureContrast, options)`; it is sent as its source, so it
 * uses nothing from outside itself).
 *
 * Without `detail`: the WCAG contrast ratio of each element's text colour against the first
 * opaque background behind it, for the `named` selectors (`{name: selector}`, the first match)
 * and for every visible element of `everything` (a selector) with text of its own; the result is
 * `{name: ratio}`, an element of `everything` named by its tag, class and first words (the
 * lowest ratio of those named alike).
 *
 * With `detail: true`, every text a reader sees within `everything` (default `body *`), as
 * `{texts, page, surfaces}`:
 * - `texts`: `{name, ratio, large, disabled, color, background, fontSize, fontWeight}` for each
 *   visible element with text of its own, each form control's value or placeholder, and each
 *   `::before`/`::after` whose content has a letter or digit. `large` is WCAG's large text (at
 *   least 24 px, or 18.66 px bold), which needs 3:1 where other text needs 4.5:1. `disabled`: in
 *   a disabled control, which WCAG leaves out ("part of an inactive user interface component").
 *   Left out: text clipped away for screen readers only (`.visually-hidden`'s `clip`), and
 *   `<option>`s (a closed select shows its chosen one, measured as the select's value).
 * - `page`: the body's background, as the page shows it (`{background, luminance}`).
 * - `surfaces`: each visible element that paints a background of its own, with its colour as
 *   shown and its relative luminance (`{name, background, luminance}`).
 * Here the element's opacity (and its ancestors') is taken into account; filters are not (the
 * pages use them only for a hovered button and a stale view).
 */
export function measureContrast({ named = {}, everything = null, detail = false }) {
  const parse = (color) => {
    const match = /^rgba?\(([^)]*)\)$/.exec(color.trim());
    if (!match) throw new Error(`a colour that is not rgb(): ${color}`);
    const [r, g, b, a = 1] = match[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  const over = (top, below) => {
    const a = top.a + below.a * (1 - top.a);
    if (a === 0) return { r: 0, g: 0, b: 0, a: 0 };
    const mix = (key) => (top[key] * top.a + below[key] * below.a * (1 - top.a)) / a;
    return { r: mix("r"), g: mix("g"), b: mix("b"), a };
  };
  const css = ({ r, g, b }) => `rgb(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)})`;
  const luminance = ({ r, g, b }) => {
    const [R, G, B] = [r, g, b].map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * R + 0.7152 * G + 0.0722 * B;
  };
  // What shows behind the root: the canvas, in the page's colour scheme.
  const canvas = (() => {
    const probe = document.createElement("div");
    probe.style.backgroundColor = "Canvas";
    document.documentElement.append(probe);
    const color = parse(getComputedStyle(probe).backgroundColor);
    probe.remove();
    return color;
  })();
  /** The colour behind `element`'s text: its background and its ancestors', composited. */
  const background = (element) => {
    const layers = [];
    for (let at = element; at; at = at.parentElement) {
      const style = getComputedStyle(at);
      if (style.backgroundImage !== "none") throw new Error(`a background image behind ${element.className}: ${style.backgroundImage}`);
      const color = parse(style.backgroundColor);
      if (color.a > 0) layers.push(color);
      if (color.a >= 1) break;
    }
    return layers.reduceRight((below, top) => over(top, below), canvas);
  };
  const opacity = (element) => {
    let product = 1;
    for (let at = element; at; at = at.parentElement) product *= Number(getComputedStyle(at).opacity);
    return product;
  };
  const contrast = (textColor, element) => {
    const behind = background(element);
    const text = parse(textColor);
    const shown = over({ ...text, a: text.a * (detail ? opacity(element) : 1) }, behind);
    const [a, b] = [luminance(shown), luminance(behind)];
    return { ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), color: css(shown), background: css(behind) };
  };

  if (!detail) {
    const ratio = (element) => contrast(getComputedStyle(element).color, element).ratio;
    const result = {};
    for (const [name, selector] of Object.entries(named)) {
      const element = document.querySelector(selector);
      if (element) result[name] = ratio(element);
    }
    const texts = everything
      ? [...document.querySelectorAll(everything)].filter(
          (element) =>
            element.checkVisibility() &&
            [...element.childNodes].some((node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim()),
        )
      : [];
    for (const element of texts) {
      const name = `${element.tagName.toLowerCase()}.${element.className} "${element.textContent.trim().slice(0, 30)}"`;
      result[name] = Math.min(result[name] ?? Infinity, ratio(element));
    }
    return result;
  }

  const shown = (element) =>
    element.checkVisibility({ visibilityProperty: true, checkVisibilityCSS: true }) &&
    !element.closest("option, optgroup") &&
    (() => {
      for (let at = element; at; at = at.parentElement) if (getComputedStyle(at).clip !== "auto") return false;
      return true;
    })();
  const describe = (element, words) => {
    const role = element.dataset?.role ? `[data-role=${element.dataset.role}]` : "";
    const classes = typeof element.className === "string" && element.className ? `.${element.className.trim().split(/\s+/).join(".")}` : "";
    return `${element.tagName.toLowerCase()}${classes}${role} "${words.trim().replace(/\s+/g, " ").slice(0, 40)}"`;
  };
  const isDisabled = (element) => Boolean(element.closest(":disabled"));
  const texts = [];
  const add = (element, words, style, where = "") => {
    const size = Number.parseFloat(style.fontSize);
    const weight = Number(style.fontWeight);
    texts.push({
      name: `${describe(element, words)}${where}`,
      ...contrast(style.color, element),
      large: size >= 24 || (weight >= 700 && size >= 18.66),
      disabled: isDisabled(element),
      fontSize: size,
      fontWeight: weight,
    });
  };
  const elements = [...document.querySelectorAll(everything ?? "body *")].filter(shown);
  for (const element of elements) {
    const style = getComputedStyle(element);
    const tag = element.tagName.toLowerCase();
    if (tag === "select") {
      add(element, element.selectedOptions[0]?.textContent ?? "", style);
    } else if (tag === "textarea" || (tag === "input" && !/^(hidden|checkbox|radio|range|color|file|image)$/.test(element.type))) {
      if (element.value) add(element, element.value, style);
      else if (element.placeholder) add(element, element.placeholder, getComputedStyle(element, "::placeholder"), " (placeholder)");
    } else {
      const own = [...element.childNodes].filter((node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim());
      if (own.length) add(element, own.map((node) => node.textContent).join(" "), style);
    }
    for (const pseudo of ["::before", "::after"]) {
      const pseudoStyle = getComputedStyle(element, pseudo);
      const content = /^"(.*)"$/s.exec(pseudoStyle.content)?.[1] ?? "";
      if (pseudoStyle.display !== "none" && /[\p{L}\p{N}]/u.test(content)) add(element, content, pseudoStyle, ` (${pseudo})`);
    }
  }
  const surfaces = [];
  for (const element of elements) {
    if (parse(getComputedStyle(element).backgroundColor).a === 0) continue;
    const color = background(element);
    surfaces.push({ name: describe(element, element.textContent ?? ""), background: css(color), luminance: luminance(color) });
  }
  const body = background(document.body);
  return { texts, page: { background: css(body), luminance: luminance(body) }, surfaces };
}
