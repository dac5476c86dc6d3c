// The fleet page: every device of the hub at a glance, problems first; one device in detail.
import "uplot/dist/uPlot.min.css";
import "../shared/base.css";
import "./style.css";
import { render } from "preact";
import { auth } from "./api.ts";
import { Fleet } from "./components/Fleet.tsx";
import { Header } from "./components/Header.tsx";
import { Settings, settingsOpen } from "./components/Settings.tsx";
import { Sharing } from "./components/Sharing.tsx";
import { SilencesView } from "./components/Silences.tsx";
import { Detail } from "./detail/Detail.tsx";
import { connect, route } from "./state.ts";

function App() {
  const r = route.value;
  return (
    <>
      <button type="button" class="skip" onClick={() => document.getElementById("main")?.focus()}>
        Skip to content
      </button>
      <Header />
      <main id="main" tabIndex={-1}>
        {r.view === "device" ? (
          <Detail id={r.id} />
        ) : r.view === "silences" ? (
          <SilencesView />
        ) : r.view === "sharing" ? (
          <Sharing />
        ) : (
          <Fleet />
        )}
      </main>
      {settingsOpen.value && <Settings />}
    </>
  );
}

const root = document.getElementById("app") as HTMLElement;
root.textContent = "";
render(<App />, root);
connect();
// A token changed in the settings: reconnect with it.
let token = auth.value.token;
auth.subscribe((a) => {
  if (a.token !== token) {
    token = a.token;
    connect();
  }
});
