import type { User } from "./types";

/** Who is logged in, and a message for the login screen. */
export const session = $state({
  user: null as User | null,
  checked: false,
  notice: "",
});
