/**
 * happy-dom builds the DOM but does no layout. These give elements the sizes a browser would
 * compute, so code that measures (the virtualizer, mermaid's text measuring) runs for real.
 * Install before mermaid is first imported (DOMPurify reads the DOM getters when it loads).
 */
export const VIEWPORT_HEIGHT = 600;

export function installLayoutPolyfill(): void {
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => VIEWPORT_HEIGHT });
  Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 1200 });
  // Text is measured at ~7 px per character and 16 px per line, like a 12–14 px sans-serif.
  Object.defineProperty(SVGGraphicsElement.prototype, 'getBBox', {
    configurable: true,
    value(this: SVGGraphicsElement) {
      const text = this.textContent ?? '';
      return { x: 0, y: 0, width: Math.max(1, text.length * 7), height: 16 };
    },
  });
  // Browsers define `nodeName` once, on Node.prototype; happy-dom overrides it in subclasses, so
  // DOMPurify (mermaid's sanitizer), which calls Node.prototype's getter, would read '' and strip <svg>.
  const nodeName = Object.getOwnPropertyDescriptor(Node.prototype, 'nodeName')?.get;
  Object.defineProperty(Node.prototype, 'nodeName', {
    configurable: true,
    get(this: Node) {
      for (let p = Object.getPrototypeOf(this) as object | null; p && p !== Node.prototype; p = Object.getPrototypeOf(p) as object | null) {
        const own = Object.getOwnPropertyDescriptor(p, 'nodeName')?.get;
        if (own) return own.call(this) as string;
      }
      return nodeName?.call(this) as string;
    },
  });
}
