// Every visible piece of text on the page whose contrast with what is behind it is below
// `minimum` (WCAG 2 relative luminance). Text is an element's own text nodes, a form
// control's value or placeholder, and ::before / ::after content. What is behind it is the
// first opaque background found walking up the ancestors, with the translucent ones in
// between composited over it; the canvas of the page's colour scheme is the last resort.
(minimum) => {
  const probe = document.createElement("canvas").getContext("2d", {willReadFrequently: true});

  // Any CSS colour (rgb(), color(srgb ...), oklch() ...) as [r, g, b, a] in 0-255 / 0-1.
  function rgba(css) {
    probe.clearRect(0, 0, 1, 1);
    probe.fillStyle = "#000";
    probe.fillStyle = css;
    probe.fillRect(0, 0, 1, 1);
    const [r, g, b, a] = probe.getImageData(0, 0, 1, 1).data;
    if (a === 0) return [0, 0, 0, 0];
    // getImageData un-premultiplies; good enough at the precision contrast needs.
    return [r, g, b, a / 255];
  }
  function over(top, bottom) {
    const a = top[3] + bottom[3] * (1 - top[3]);
    if (a === 0) return [0, 0, 0, 0];
    const mix = (i) => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a;
    return [mix(0), mix(1), mix(2), a];
  }
  function luminance([r, g, b]) {
    const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  }
  function ratio(a, b) {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  }
  const dark = matchMedia("(prefers-color-scheme: dark)").matches;
  const canvas = dark ? [18, 18, 18, 1] : [255, 255, 255, 1];

  function background(element) {
    const layers = [];
    for (let node = element; node && node.nodeType === 1; node = node.parentElement) {
      const colour = rgba(getComputedStyle(node).backgroundColor);
      if (colour[3] > 0) layers.push(colour);
      if (colour[3] >= 1) break;
    }
    let result = canvas;
    for (const layer of layers.reverse()) result = over(layer, result);
    return result;
  }
  function opacity(element) {
    let value = 1;
    for (let node = element; node && node.nodeType === 1; node = node.parentElement) {
      value *= parseFloat(getComputedStyle(node).opacity);
    }
    return value;
  }
  function describe(element) {
    const parts = [];
    for (let node = element; node && node.nodeType === 1 && parts.length < 4; node = node.parentElement) {
      let part = node.tagName.toLowerCase();
      if (node.classList.length) part += "." + [...node.classList].join(".");
      for (const name of ["data-status", "data-state", "data-field"]) {
        if (node.hasAttribute(name)) part += `[${name}=${node.getAttribute(name)}]`;
      }
      parts.unshift(part);
    }
    return parts.join(" > ");
  }

  const failures = [];
  function test(element, text, style, where) {
    text = text.replace(/\s+/g, " ").trim();
    if (!text) return;
    const behind = background(element);
    const colour = rgba(style.color);
    const shown = over([colour[0], colour[1], colour[2], colour[3] * opacity(element)], behind);
    const value = ratio(shown, behind);
    if (value < minimum) {
      failures.push(`${value.toFixed(2)}:1 "${text.slice(0, 40)}" ${describe(element)}${where} ` +
                    `(${style.color} on rgb(${behind.slice(0, 3).map(Math.round).join(", ")}))`);
    }
  }

  for (const element of document.body.querySelectorAll("*")) {
    if (!element.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
    if (!element.getClientRects().length) continue;
    const style = getComputedStyle(element);
    const own = [...element.childNodes].filter((n) => n.nodeType === 3).map((n) => n.data).join("");
    test(element, own, style, "");
    if (["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName) && element.type !== "hidden") {
      if (element.tagName === "SELECT") test(element, element.selectedOptions[0]?.text || "", style, "");
      else if (["checkbox", "radio"].includes(element.type)) continue;
      else if (element.value) test(element, element.value, style, "");
      else if (element.placeholder) {
        test(element, element.placeholder, getComputedStyle(element, "::placeholder"), "::placeholder");
      }
    }
    for (const pseudo of ["::before", "::after"]) {
      const pseudoStyle = getComputedStyle(element, pseudo);
      const content = pseudoStyle.content;
      if (content && content !== "none" && content !== "normal" && /^".*"$/.test(content)) {
        test(element, content.slice(1, -1), pseudoStyle, pseudo);
      }
    }
  }
  return failures;
}
