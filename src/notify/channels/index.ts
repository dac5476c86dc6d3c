import type { ChannelType } from "../types.ts";
import { discord } from "./discord.ts";
import { email } from "./email.ts";
import { ntfy } from "./ntfy.ts";
import { slack } from "./slack.ts";
import { telegram } from "./telegram.ts";
import { webhook } from "./webhook.ts";

/** Every channel type; a new one is one file in this folder and one entry here. */
export const channelTypes: ChannelType[] = [telegram, discord, slack, ntfy, webhook, email];
