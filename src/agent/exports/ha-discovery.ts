import type { JsonObject } from "../../protocol/json.ts";
import type { DeviceState } from "../state.ts";

/** Control actions a Home Assistant button may press (the HTTP control routes' names). */
export const BUTTON_ACTIONS = ["camera_test", "camera_recover", "restart_services", "reboot"] as const;
export type ButtonAction = (typeof BUTTON_ACTIONS)[number];

export interface Topics {
  /** e.g. edgewatch/pi-gym */
  base: string;
  state: string;
  availability: string;
  command: (action: string) => string;
}

export function topicsFor(prefix: string, deviceKey: string): Topics {
  const base = `${prefix}/${deviceKey}`;
  return {
    base,
    state: `${base}/state`,
    availability: `${base}/availability`,
    command: (a) => `${base}/command/${a}`,
  };
}

interface Entity {
  component: "sensor" | "binary_sensor" | "button";
  key: string;
  config: Record<string, unknown>;
}

const SENSORS: Entity[] = [
  {
    component: "sensor",
    key: "status",
    config: { name: "Status", icon: "mdi:camera", value_template: "{{ value_json.status }}" },
  },
  {
    component: "sensor",
    key: "photos_today",
    config: {
      name: "Photos today",
      icon: "mdi:image-multiple",
      state_class: "total_increasing",
      value_template: "{{ value_json.photos_today }}",
    },
  },
  {
    component: "sensor",
    key: "disk_used",
    config: {
      name: "Disk used",
      unit_of_measurement: "%",
      state_class: "measurement",
      icon: "mdi:harddisk",
      value_template: "{{ value_json.disk_used_percent }}",
    },
  },
  {
    component: "sensor",
    key: "temperature",
    config: {
      name: "CPU temperature",
      device_class: "temperature",
      unit_of_measurement: "°C",
      state_class: "measurement",
      value_template: "{{ value_json.temperature }}",
    },
  },
  {
    component: "sensor",
    key: "alerts_firing",
    config: {
      name: "Alerts firing",
      icon: "mdi:alert",
      state_class: "measurement",
      value_template: "{{ value_json.alerts_firing }}",
    },
  },
  {
    component: "binary_sensor",
    key: "capturing",
    config: { name: "Capturing", device_class: "running", value_template: "{{ value_json.capturing }}" },
  },
  {
    component: "binary_sensor",
    key: "problem",
    config: { name: "Problem", device_class: "problem", value_template: "{{ value_json.problem }}" },
  },
];

const BUTTON_NAMES: Record<ButtonAction, [string, string | null]> = {
  camera_test: ["Test camera", null],
  camera_recover: ["Recover camera", null],
  restart_services: ["Restart services", "restart"],
  reboot: ["Reboot", "restart"],
};

/**
 * Every discovery config: topic → retained payload. Entities not enabled (buttons left off) get an
 * empty payload, which makes Home Assistant remove one that an earlier configuration created.
 */
export function discoveryConfigs(o: {
  prefix: string;
  deviceKey: string;
  device: { id: string; site: string };
  version: string;
  topics: Topics;
  buttons: readonly string[];
}): Map<string, string> {
  const dev = {
    identifiers: [`edgewatch_${o.deviceKey}`],
    name: o.device.id,
    manufacturer: "edgewatch",
    model: "edgewatch agent",
    sw_version: o.version,
    suggested_area: o.device.site,
  };
  const out = new Map<string, string>();
  const buttons: Entity[] = BUTTON_ACTIONS.map((a) => {
    const [name, cls] = BUTTON_NAMES[a];
    return {
      component: "button",
      key: a,
      config: {
        name,
        ...(cls ? { device_class: cls } : {}),
        command_topic: o.topics.command(a),
        payload_press: "PRESS",
      },
    };
  });
  for (const e of [...SENSORS, ...buttons]) {
    const uid = `edgewatch_${o.deviceKey}_${e.key}`;
    const topic = `${o.prefix}/${e.component}/${uid}/config`;
    if (e.component === "button" && !o.buttons.includes(e.key)) {
      out.set(topic, "");
      continue;
    }
    const config = {
      ...e.config,
      unique_id: uid,
      object_id: uid,
      ...(e.component !== "button" ? { state_topic: o.topics.state } : {}),
      availability_topic: o.topics.availability,
      payload_available: "online",
      payload_not_available: "offline",
      device: dev,
      origin: { name: "edgewatch", sw_version: o.version },
    };
    out.set(topic, JSON.stringify(config));
  }
  return out;
}

const obj = (v: unknown): JsonObject =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as JsonObject) : {};
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** The one JSON state every entity reads its value from. */
export function haState(state: DeviceState): Record<string, unknown> {
  const doc = state.document;
  const today = obj(doc.today);
  const sys = obj(state.collectors.get("system")?.data);
  const disk = obj((Array.isArray(sys.disks) ? sys.disks : [])[0]);
  const ratio = num(disk.usage_ratio);
  const temp = num(obj(state.collectors.get("thermal")?.data).cpu_temperature_celsius);
  const firing = [...state.alerts.values()].filter((a) => a.state === "firing" || a.state === "flapping");
  return {
    status: state.status,
    photos_today: num(today.photos_captured),
    disk_used_percent: ratio === null ? null : Math.round(ratio * 1000) / 10,
    temperature: temp === null ? null : Math.round(temp * 10) / 10,
    alerts_firing: firing.length,
    capturing: state.status === "capturing" ? "ON" : "OFF",
    problem: state.status === "error" || firing.some((a) => a.severity !== "info") ? "ON" : "OFF",
  };
}
