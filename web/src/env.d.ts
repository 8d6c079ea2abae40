/** Build-time settings of the web app (`VITE_*` environment variables of `vite build web`). */
interface ImportMetaEnv {
  /** Map tile URL template, e.g. `https://tile.openstreetmap.org/{z}/{x}/{y}.png` (the default). */
  readonly VITE_MAP_TILE_URL?: string;
  /** Attribution (HTML) shown with those tiles. */
  readonly VITE_MAP_ATTRIBUTION?: string;
}
