import { z } from "zod";

/** `jobs:` — Jobs ledger, transfers and queue collectors. */
export const jobsSection = z.strictObject({}).default({}).describe("Jobs ledger, transfers and queue collectors");
