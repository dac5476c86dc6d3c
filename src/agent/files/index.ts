// The files module's door: finding the newest photo or video by glob (the hub module's thumbnails use it).
export { Glob, type NewestFile, newestOf } from "./glob.ts";
export { lineLevel } from "./logs.ts";
