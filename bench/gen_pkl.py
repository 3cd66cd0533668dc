#!/usr/bin/env python3
"""Writes the organisation of gen_org.py as a Pkl program, for comparison.

    gen_pkl.py OUT_DIR REGIONS GROUPS_PER_REGION

`pkl eval -m DIST OUT_DIR/org.pkl` then renders, for every concrete
profile, the work of `polc build` with meta.formats = linux-json,
mobileconfig: the effective settings as JSON (`NAME/managed-settings.json`)
and a configuration profile whose app keys are strings, lists and objects
as JSON text (`NAME/NAME.mobileconfig`). Regions amend the base object and
groups amend their region's, the way gen_org.py's profiles extend; a
group's `+=` is an amendment of the inherited listing or mapping, its
`-= "tickets"` a filter. Secrets are read from the environment, as polc's
`env()` does.
"""
import os
import sys

BASE = '''/// Company-wide defaults: an object that regions and groups amend.
module base

class McpServer {
  name: String
  transport: String
  url: String
}

class Banner {
  enabled: Boolean
  text: String
  backgroundColor: String
  textColor: String
}

class Settings {
  autoUpdaterEnforcementHours: Int?
  banner: Banner?
  coworkEgressAllowedHosts: Listing<String>
  deploymentOrganizationUuid: String?
  disableAutoUpdates: Boolean?
  disableNonessentialTelemetry: Boolean?
  disabledBuiltinTools: Listing<String>
  inferenceBedrockBearerToken: String?
  inferenceBedrockRegion: String?
  inferenceGatewayApiKey: String?
  inferenceGatewayBaseUrl: String?
  inferenceModels: Listing<String>
  inferenceProvider: String?
  inferenceVertexCredentialsFile: String?
  inferenceVertexProjectId: String?
  inferenceVertexRegion: String?
  managedMcpServers: Listing<McpServer>
  otlpEndpoint: String?
  otlpHeaders: Mapping<String, String>
}

class Profile {
  name: String
  identifier: String = "com.bench.claude.\\(name)"
  displayName: String = "Claude (\\(name))"
  organization: String = "Bench Corp"
  settings: Settings
}

base: Profile = new {
  name = "base"
  settings {
    disabledBuiltinTools { "WebSearch" }
    coworkEgressAllowedHosts { "pypi.org"; "files.pythonhosted.org"; "*.github.com" }
    disableAutoUpdates = false
    autoUpdaterEnforcementHours = 48
    disableNonessentialTelemetry = true
    deploymentOrganizationUuid = "7d0f3a52-8a1e-4c55-9d7e-2f4b6c8e1a90"
    otlpEndpoint = "https://otel.bench.example:4318"
    otlpHeaders { ["X-Tenant"] = "bench" }
    managedMcpServers {
      new { name = "wiki"; transport = "http"; url = "https://mcp.bench.example/wiki" }
      new { name = "tickets"; transport = "http"; url = "https://mcp.bench.example/tickets" }
    }
    banner { enabled = true; text = "Managed by Bench IT"; backgroundColor = "#1F2937"; textColor = "#FFFFFF" }
  }
}
'''

ORG = '''// Renders every profile's effective JSON and configuration profile.
import* "regions/*.pkl" as regions
import "base.pkl"

local json = new JsonRenderer { indent = "" }

/// The app reads every preference as a string: lists and objects as JSON text.
local function text(v: Any): String =
  if (v is String) v
  else if (v is Boolean || v is Int) v.toString()
  else json.renderValue(v)

local function mobileconfig(p: base.Profile): Dynamic = new {
  PayloadContent {
    new {
      PayloadDisplayName = "com.anthropic.claudefordesktop"
      PayloadIdentifier = "\\(p.identifier).settings"
      PayloadType = "com.anthropic.claudefordesktop"
      PayloadUUID = "\\(p.identifier).settings".sha256.take(32).toUpperCase()
      PayloadVersion = 1
      for (k, v in p.settings.toMap()) {
        when (v != null) {
          [k] = text(v)
        }
      }
    }
  }
  PayloadDisplayName = p.displayName
  PayloadIdentifier = p.identifier
  PayloadOrganization = p.organization
  PayloadRemovalDisallowed = false
  PayloadScope = "System"
  PayloadType = "Configuration"
  PayloadUUID = p.identifier.sha256.take(32).toUpperCase()
  PayloadVersion = 1
}

output {
  files {
    for (_, r in regions) {
      for (p in r.profiles) {
        ["\\(p.name)/managed-settings.json"] {
          value = p.settings
          renderer = new JsonRenderer {}
        }
        ["\\(p.name)/\\(p.name).mobileconfig"] {
          value = mobileconfig(p)
          renderer = new PListRenderer {}
        }
      }
    }
  }
}
'''


def region(r, groups):
    kind = r % 3
    if kind == 0:
        settings = [
            'inferenceProvider = "gateway"',
            f'inferenceGatewayBaseUrl = "https://llm.r{r}.bench.example"',
            f'inferenceGatewayApiKey = read("env:BENCH_R{r}_KEY")',
            'inferenceModels { "claude-sonnet-4-5"; "claude-opus-4-1" }',
        ]
    elif kind == 1:
        settings = [
            'inferenceProvider = "vertex"',
            f'inferenceVertexProjectId = "bench-r{r}"',
            'inferenceVertexRegion = "europe-west4"',
            'inferenceVertexCredentialsFile = "/Library/Application Support/Bench/sa.json"',
            'inferenceModels { "claude-sonnet-4-5@20250929" }',
        ]
    else:
        settings = [
            'inferenceProvider = "bedrock"',
            'inferenceBedrockRegion = "ap-northeast-1"',
            f'inferenceBedrockBearerToken = read("env:BENCH_R{r}_TOKEN")',
            'inferenceModels { "apac.anthropic.claude-sonnet-4-5-20250929-v1:0" }',
        ]
    lines = [
        'import "../base.pkl"',
        "",
        f"/// Region {r}.",
        "local region: base.Profile = (base.base) {",
        "  settings {",
        *(f"    {s}" for s in settings),
        "  }",
        "}",
        "",
        "profiles: Listing<base.Profile> = new {",
    ]
    for g in range(groups):
        team = (f'new {{ name = "team-g{g}"; transport = "http"; '
                f'url = "https://mcp.bench.example/g{g}" }}')
        lines += [
            "  (region) {",
            f'    name = "r{r}-g{g}"',
            "    settings {",
            f'      coworkEgressAllowedHosts {{ "g{g}.r{r}.bench.example" }}',
            f'      otlpHeaders {{ ["X-Group"] = "g{g}" }}',
        ]
        if g % 4 == 0:
            lines.append(
                f"      managedMcpServers = (super.managedMcpServers) {{ {team} }}"
                '.toList().filter((s) -> s.name != "tickets").toListing()')
        else:
            lines.append(f"      managedMcpServers {{ {team} }}")
        if g % 5 == 0:
            lines.append('      disabledBuiltinTools { "WebFetch" }')
        lines += ["    }", "  }"]
    lines += ["}", ""]
    return "\n".join(lines)


def main():
    out, regions, groups = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    os.makedirs(os.path.join(out, "regions"), exist_ok=True)
    with open(os.path.join(out, "base.pkl"), "w") as f:
        f.write(BASE)
    with open(os.path.join(out, "org.pkl"), "w") as f:
        f.write(ORG)
    for r in range(regions):
        with open(os.path.join(out, "regions", f"r{r:03}.pkl"), "w") as f:
            f.write(region(r, groups))


if __name__ == "__main__":
    main()
