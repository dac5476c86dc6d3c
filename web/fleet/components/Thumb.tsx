import { useEffect, useRef, useState } from "preact/hooks";
import { headers } from "../api.ts";

/**
 * A device's thumbnail. An <img src> cannot send the token, so the image is fetched with it (once it
 * scrolls into view; the hub marks a versioned thumbnail immutable, so the browser cache answers
 * repeats) and shown from a blob: URL.
 */
export function Thumb({
  url,
  alt,
  width,
  height,
  class: cls,
}: {
  url: string;
  alt: string;
  width: number;
  height: number;
  class: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [src, setSrc] = useState<string | null>(null);
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        setVisible(true);
        io.disconnect();
      }
    });
    io.observe(el);
    return () => io.disconnect();
  }, []);
  useEffect(() => {
    if (!visible) return;
    const ctrl = new AbortController();
    let made: string | null = null;
    fetch(url, { headers: headers(), signal: ctrl.signal })
      .then((r) => (r.ok ? r.blob() : null))
      .then((b) => {
        if (!b) return;
        made = URL.createObjectURL(b);
        setSrc(made);
      })
      .catch(() => {});
    return () => {
      ctrl.abort();
      if (made) URL.revokeObjectURL(made);
    };
  }, [url, visible]);
  return (
    <div ref={box} class={`${cls} frame`} style={{ aspectRatio: `${width} / ${height}` }}>
      {src ? (
        <img src={src} alt={alt} width={width} height={height} />
      ) : (
        <span class="none">{alt ? "loading" : ""}</span>
      )}
    </div>
  );
}
