/*
 * Measurements for the browser accessibility checks (tests/a11y.py `measure`).
 *
 * One expression whose value is an object of functions; a11y.py evaluates it in a
 * Playwright page and calls one of them. They only measure (computed styles, boxes,
 * focus state) and report plain data; the judging (WCAG contrast, what counts as a
 * visible focus indicator, reflow) is done in Python.
 *
 *   texts(root)   every piece of visible text (in root, else the body): its colour, the
 *                 backgrounds behind it up the tree (nearest first, up to the first opaque
 *                 one), font size and weight; a control's value, placeholder or selection
 *   focusables()  every element in the tab order, in document order, with its unfocused
 *                 outline, box-shadow and (SVG links) the fill and stroke of its shape, and
 *                 a signature (what a stylesheet can tell apart) to find one of each kind
 *   focused()     the same for document.activeElement, plus :focus-visible, the colours
 *                 around it, whether it can be seen and its texts() as focused (null when
 *                 nothing is focused)
 *   fromTop(), focusOn(i), blur(), step(i), focusEach([i...])  move the focus for the Tab walk
 *   where()       where the focus is: in <main>? on which page (after the skip link)?
 *   overflow()    the page's scroll width, the viewport width and the elements past it
 *   openDetails(open)  opens (or closes) every <details>: their content is text to check too
 */
(() => {
  "use strict";

  const probe = document.createElement("canvas").getContext("2d", { willReadFrequently: true });

  /** [r, g, b, a] (0-255, alpha 0-1) of any CSS colour the browser can paint. */
  function rgba(css) {
    const match = /^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)$/.exec(css || "");
    if (match) {
      const alpha = match[4] === undefined ? 1 : match[4].endsWith("%") ? parseFloat(match[4]) / 100 : parseFloat(match[4]);
      return [Number(match[1]), Number(match[2]), Number(match[3]), alpha];
    }
    if (!css || css === "none" || css === "transparent" || css.startsWith("url(")) {
      return [0, 0, 0, 0];
    }
    probe.clearRect(0, 0, 1, 1);
    probe.fillStyle = "rgba(0, 0, 0, 0)";
    probe.fillStyle = css;
    probe.fillRect(0, 0, 1, 1);
    const data = probe.getImageData(0, 0, 1, 1).data;
    return [data[0], data[1], data[2], data[3] / 255];
  }

  /** The canvas colour the page is painted on (white, or dark under a dark used color-scheme). */
  function canvas() {
    const element = document.createElement("div");
    element.style.cssText = "background-color: Canvas; position: absolute; width: 0; height: 0";
    document.documentElement.appendChild(element);
    const colour = rgba(getComputedStyle(element).backgroundColor);
    element.remove();
    colour[3] = 1;
    return colour;
  }

  /** A short CSS path for messages: main > ol.papers > li.paper-card > h2.paper-title > a. */
  function selector(element) {
    const parts = [];
    for (let node = element; node && node.nodeType === 1 && parts.length < 4; node = node.parentElement) {
      let part = node.localName;
      if (node.id) {
        part += "#" + node.id;
        parts.unshift(part);
        break;
      }
      const classes = typeof node.className === "string" ? node.className.trim().split(/\s+/).filter(Boolean) : [];
      if (classes.length) {
        part += "." + classes.slice(0, 2).join(".");
      }
      parts.unshift(part);
    }
    return parts.join(" > ");
  }

  let memo = null;

  /**
   * Caches for one measurement (styles do not change while it runs). Running transitions and animations are
   * finished first, so a colour is measured where it ends (after a change of colour scheme or of focus).
   */
  function fresh() {
    for (const animation of document.getAnimations()) {
      try {
        animation.finish();
      } catch (error) {
        // an infinite animation cannot finish; its colours are what they are now
      }
    }
    memo = { style: new Map(), behind: new Map(), clipped: new Map(), canvas: null };
  }

  function style(element) {
    if (!memo.style.has(element)) {
      memo.style.set(element, getComputedStyle(element));
    }
    return memo.style.get(element);
  }

  function paper() {
    if (!memo.canvas) {
      memo.canvas = canvas();
    }
    return memo.canvas;
  }

  /** Backgrounds from `element` up (nearest first) until an opaque one; whether an image lies on the way; opacity. */
  function behind(element) {
    if (!element || element.nodeType !== 1) {
      return { layers: [], image: false, opacity: 1 };
    }
    if (memo.behind.has(element)) {
      return memo.behind.get(element);
    }
    const computed = style(element);
    const opacity = parseFloat(computed.opacity);
    let found;
    if (element instanceof SVGElement && element.localName !== "svg") {
      found = behind(element.parentElement); // shapes are painted with fill, not backgrounds
    } else {
      const colour = rgba(computed.backgroundColor);
      const image = Boolean(computed.backgroundImage && computed.backgroundImage !== "none");
      const up = colour[3] >= 1 ? { layers: [], image: false, opacity: 1 } : behind(element.parentElement);
      found = { layers: colour[3] > 0 ? [colour].concat(up.layers) : up.layers, image: image || up.image, opacity: up.opacity };
    }
    found = { layers: found.layers, image: found.image, opacity: found.opacity * opacity };
    memo.behind.set(element, found);
    return found;
  }

  /** Hidden from sight though rendered: clipped to a pixel (.visually-hidden) or moved off the page. */
  function unseen(element, box) {
    if (box.width < 1 || box.height < 1 || box.bottom + window.scrollY <= 0 || box.right + window.scrollX <= 0) {
      return true;
    }
    return clipped(element);
  }

  function clipped(element) {
    if (!element || element.nodeType !== 1) {
      return false;
    }
    if (!memo.clipped.has(element)) {
      const computed = style(element);
      const rect = element.getBoundingClientRect();
      const here = (computed.overflow !== "visible" && (rect.width <= 1 || rect.height <= 1)) || computed.clipPath === "inset(50%)";
      memo.clipped.set(element, here || clipped(element.parentElement));
    }
    return memo.clipped.get(element);
  }

  function visible(element) {
    return element.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true, contentVisibilityAuto: true });
  }

  function report(element, text, colour, kind) {
    const computed = style(element);
    const back = behind(element);
    return {
      selector: selector(element),
      text: text.replace(/\s+/g, " ").trim(),
      kind: kind || "",
      color: colour,
      backgrounds: back.layers,
      image: back.image,
      opacity: back.opacity,
      canvas: paper(),
      size: parseFloat(computed.fontSize),
      weight: parseInt(computed.fontWeight, 10) || 400,
    };
  }

  function texts(root) {
    fresh();
    const found = [];
    const done = new Set();
    const walker = document.createTreeWalker(root || document.body, NodeFilter.SHOW_TEXT);
    const skip = new Set(["script", "style", "noscript", "template", "title", "desc", "option", "textarea"]);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const element = node.parentElement;
      if (!node.data.trim() || !element || done.has(element) || skip.has(element.localName) || !visible(element)) {
        continue;
      }
      const range = document.createRange();
      range.selectNodeContents(node);
      const box = range.getBoundingClientRect();
      if (unseen(element, box)) {
        continue;
      }
      done.add(element);
      const colour = element instanceof SVGElement ? rgba(style(element).fill) : rgba(style(element).color);
      found.push(report(element, element.textContent, colour));
    }
    const scope = root || document.body;
    const controls = Array.from(scope.querySelectorAll("input, select, textarea"));
    if (scope.matches("input, select, textarea")) {
      controls.push(scope);
    }
    for (const control of controls) {
      if (!visible(control) || unseen(control, control.getBoundingClientRect())) {
        continue;
      }
      const type = (control.getAttribute("type") || "text").toLowerCase();
      if (control.localName === "select") {
        const option = control.selectedOptions[0];
        if (option && option.textContent.trim()) {
          found.push(report(control, option.textContent, rgba(getComputedStyle(control).color), "selected option"));
        }
      } else if (["checkbox", "radio", "range", "color", "file", "hidden", "image"].includes(type)) {
        continue;
      } else if (control.value) {
        found.push(report(control, control.value, rgba(getComputedStyle(control).color), "value"));
      } else if (control.placeholder) {
        found.push(report(control, control.placeholder, rgba(getComputedStyle(control, "::placeholder").color), "placeholder"));
      }
    }
    return found;
  }

  const FOCUSABLE = "a[href], area[href], button, input, select, textarea, summary, iframe, [tabindex], [contenteditable]";

  function known() {
    if (!window.__a11yElements) {
      window.__a11yElements = [];
    }
    return window.__a11yElements;
  }

  function index(element) {
    const elements = known();
    let at = elements.indexOf(element);
    if (at < 0) {
      at = elements.push(element) - 1;
    }
    return at;
  }

  function shape(element) {
    if (!(element instanceof SVGElement)) {
      return null;
    }
    return element.querySelector("rect, path, circle, ellipse, polygon, polyline, line");
  }

  function ring(element) {
    const computed = getComputedStyle(element);
    const found = {
      outlineStyle: computed.outlineStyle,
      outlineWidth: computed.outlineWidth,
      outlineColor: computed.outlineColor,
      outlineOffset: computed.outlineOffset,
      boxShadow: computed.boxShadow,
    };
    const mark = shape(element);
    if (mark) {
      const marked = getComputedStyle(mark);
      found.shapeFill = marked.fill;
      found.shapeStroke = marked.stroke;
      found.shapeStrokeWidth = marked.strokeWidth;
    }
    return found;
  }

  function name(element) {
    return (element.getAttribute("aria-label") || element.textContent || element.value || "").replace(/\s+/g, " ").trim();
  }

  /** What a stylesheet can tell apart: the element and its parent, by name, classes and state attributes. */
  function signature(element) {
    const parts = [];
    let node = element;
    for (let depth = 0; node && node.nodeType === 1 && depth < 2; depth += 1, node = node.parentElement) {
      let part = node.localName + (depth === 0 && node.id ? "#" + node.id : "");
      const classes = typeof node.className === "string" ? node.className.trim().split(/\s+/).filter(Boolean).sort() : [];
      part += classes.map((one) => "." + one).join("");
      for (const attribute of ["aria-current", "aria-expanded", "aria-pressed", "type", "rel"]) {
        if (node.hasAttribute(attribute)) {
          part += "[" + attribute + "=" + node.getAttribute(attribute) + "]";
        }
      }
      parts.unshift(part);
    }
    return parts.join(" > ");
  }

  /** Every element in the tab order, in document order, measured unfocused. */
  function focusables() {
    if (document.activeElement && document.activeElement.blur) {
      document.activeElement.blur();
    }
    fresh();
    const found = [];
    for (const element of document.querySelectorAll(FOCUSABLE)) {
      if (element.tabIndex < 0 || element.disabled || (element.localName === "input" && element.type === "hidden")) {
        continue;
      }
      if (element.localName === "summary" && element.parentElement.querySelector(":scope > summary") !== element) {
        continue;
      }
      // Off-screen (the skip link until it is focused) still counts: visibility is judged once focused.
      if (!element.checkVisibility({ checkVisibilityCSS: true })) {
        continue;
      }
      found.push({ index: index(element), selector: selector(element), signature: signature(element), text: name(element), style: ring(element) });
    }
    return found;
  }

  /** Moves the start of sequential focus navigation to the top of the page, so the next Tab goes to the first stop. */
  function fromTop() {
    const marker = document.createElement("span");
    marker.tabIndex = -1;
    document.body.prepend(marker);
    marker.focus({ preventScroll: true });
    marker.remove();
    window.scrollTo(0, 0);
  }

  function focusOn(at) {
    known()[at].focus();
  }

  function blur() {
    if (document.activeElement && document.activeElement.blur) {
      document.activeElement.blur();
    }
  }

  function focused() {
    const element = document.activeElement;
    if (!element || element === document.body || element === document.documentElement) {
      return null;
    }
    const shown = texts(element);
    fresh();
    const box = element.getBoundingClientRect();
    const mark = shape(element);
    const around = behind(element.parentElement || element);
    const computed = getComputedStyle(element);
    return {
      index: index(element),
      selector: selector(element),
      text: name(element),
      focusVisible: element.matches(":focus-visible"),
      style: ring(element),
      outlineColor: rgba(computed.outlineColor),
      shapeFill: mark ? rgba(getComputedStyle(mark).fill) : null,
      shapeStroke: mark ? rgba(getComputedStyle(mark).stroke) : null,
      around: around.layers,
      canvas: paper(),
      // Where scrolling can bring it: not off the top or left of the page, not clipped to a pixel.
      onScreen: !unseen(element, box),
      texts: shown,
    };
  }

  /** focused(), then the focus moved (from script) to element `next`, or to the top of the page: one step of the Tab walk. */
  function step(next) {
    const now = focused();
    if (next === null || next === undefined) {
      fromTop();
    } else {
      known()[next].focus();
    }
    return now;
  }

  /** focused() after focusing each element in turn from script (after a real Tab, so :focus-visible applies). */
  function focusEach(indices) {
    return indices.map((at) => {
      known()[at].focus();
      return focused();
    });
  }

  function overflow() {
    const width = window.innerWidth;
    const wide = [];
    for (const element of document.body.querySelectorAll("*")) {
      const box = element.getBoundingClientRect();
      if (box.right > width + 0.5 && visible(element)) {
        wide.push(element);
      }
    }
    const leaves = wide.filter((element) => !wide.some((other) => other !== element && element.contains(other)));
    return {
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: width,
      offenders: leaves.slice(0, 10).map((element) => ({
        selector: selector(element),
        text: (element.textContent || "").replace(/\s+/g, " ").trim(),
        right: element.getBoundingClientRect().right,
      })),
    };
  }

  /** Where the focus is (after the skip link): in <main>? on which page? */
  function where() {
    const element = document.activeElement;
    return {
      selector: element ? selector(element) : "",
      inMain: Boolean(element && element.closest("main, [role=main]")),
      path: location.pathname,
      hash: location.hash,
    };
  }

  function openDetails(open) {
    const all = document.querySelectorAll("details");
    all.forEach((details) => { details.open = open !== false; });
    return all.length;
  }

  return {
    texts: texts, focusables: focusables, fromTop: fromTop, focusOn: focusOn, blur: blur, focused: focused, step: step,
    focusEach: focusEach,
    where: where, overflow: overflow, openDetails: openDetails,
  };
})()
