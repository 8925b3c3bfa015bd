/**
 * The web console's files, embedded as text (so `deno compile` carries them):
 * one page at `/_console/`, its modules and style sheet beside it. The page
 * uses only the public S3 API, signing its requests in the browser.
 */
import indexHtml from "./index.html" with { type: "text" };
import appJs from "./app.js" with { type: "text" };
import signJs from "./sign.js" with { type: "text" };
import uiJs from "./ui.js" with { type: "text" };
import uploadJs from "./upload.js" with { type: "text" };
import versionsJs from "./versions.js" with { type: "text" };
import accessJs from "./access.js" with { type: "text" };
import settingsJs from "./settings.js" with { type: "text" };
import chartsJs from "./charts.js" with { type: "text" };
import dashboardJs from "./dashboard.js" with { type: "text" };
import activityJs from "./activity.js" with { type: "text" };
import usersJs from "./users.js" with { type: "text" };
import objectEditJs from "./object_edit.js" with { type: "text" };
import consoleCss from "./console.css" with { type: "text" };

const JS = "text/javascript; charset=utf-8";
const FILES: Record<string, { body: string; type: string }> = {
  "app.js": { body: appJs, type: JS },
  "sign.js": { body: signJs, type: JS },
  "ui.js": { body: uiJs, type: JS },
  "upload.js": { body: uploadJs, type: JS },
  "versions.js": { body: versionsJs, type: JS },
  "access.js": { body: accessJs, type: JS },
  "settings.js": { body: settingsJs, type: JS },
  "charts.js": { body: chartsJs, type: JS },
  "dashboard.js": { body: dashboardJs, type: JS },
  "activity.js": { body: activityJs, type: JS },
  "users.js": { body: usersJs, type: JS },
  "object_edit.js": { body: objectEditJs, type: JS },
  "console.css": { body: consoleCss, type: "text/css; charset=utf-8" },
};

/**
 * The console file at `name` (the path after `/_console/`); any other name is
 * the page, which names the server's region for signing.
 */
export function consoleFile(name: string, region: string): { body: string; type: string } {
  if (Object.hasOwn(FILES, name)) return FILES[name];
  return { body: indexHtml.replace("__REGION__", region), type: "text/html; charset=utf-8" };
}
