#!/usr/bin/env python3
"""Generates a synthetic organisation for benchmarks.

    gen_org.py OUT_DIR REGIONS GROUPS_PER_REGION [FORMATS]

One abstract base, REGIONS region profiles (gateway, Vertex AI and Bedrock in
turn) and GROUPS_PER_REGION concrete group profiles per region, one file per
region. Every group adds to lists and maps, so replay does real work.
FORMATS (comma-separated, e.g. `linux-json,mobileconfig`) sets the base's
`meta.formats`; without it every format is built.
"""
import os
import sys


def main():
    out, regions, groups = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    formats = ""
    if len(sys.argv) > 4:
        listed = ", ".join(f'"{f}"' for f in sys.argv[4].split(","))
        formats = f"\n    formats = [{listed}]"
    os.makedirs(os.path.join(out, "regions"), exist_ok=True)
    with open(os.path.join(out, "base.policy"), "w") as f:
        f.write('''/// Company-wide defaults.
abstract profile base {
  disabledBuiltinTools        = ["WebSearch"]
  coworkEgressAllowedHosts    = ["pypi.org", "files.pythonhosted.org", "*.github.com"]
  disableAutoUpdates          = false
  autoUpdaterEnforcementHours = 48
  disableNonessentialTelemetry = true
  deploymentOrganizationUuid  = "7d0f3a52-8a1e-4c55-9d7e-2f4b6c8e1a90"
  otlpEndpoint                = "https://otel.bench.example:4318"
  otlpHeaders                 = { "X-Tenant" = "bench" }
  managedMcpServers           = [
    { name = "wiki", transport = "http", url = "https://mcp.bench.example/wiki" },
    { name = "tickets", transport = "http", url = "https://mcp.bench.example/tickets" },
  ]
  banner = { enabled = true, text = "Managed by Bench IT", backgroundColor = "#1F2937", textColor = "#FFFFFF" }
  meta {
    identifier   = "com.bench.claude.${profile}"
    display_name = "Claude (${profile})"
    organization = "Bench Corp"
    min_app_version = "1.46388.1"@FORMATS@
  }
}
'''.replace("@FORMATS@", formats))
    for r in range(regions):
        kind = r % 3
        lines = [f"/// Region {r}.", f"abstract profile r{r} extends base {{"]
        if kind == 0:
            lines += [
                '  inferenceProvider       = "gateway"',
                f'  inferenceGatewayBaseUrl = "https://llm.r{r}.bench.example"',
                f'  inferenceGatewayApiKey  = env("BENCH_R{r}_KEY")',
                '  inferenceModels         = ["claude-sonnet-4-5", "claude-opus-4-1"]',
            ]
        elif kind == 1:
            lines += [
                '  inferenceProvider              = "vertex"',
                f'  inferenceVertexProjectId       = "bench-r{r}"',
                '  inferenceVertexRegion          = "europe-west4"',
                '  inferenceVertexCredentialsFile = "/Library/Application Support/Bench/sa.json"',
                '  inferenceModels                = ["claude-sonnet-4-5@20250929"]',
            ]
        else:
            lines += [
                '  inferenceProvider           = "bedrock"',
                '  inferenceBedrockRegion      = "ap-northeast-1"',
                f'  inferenceBedrockBearerToken = env("BENCH_R{r}_TOKEN")',
                '  inferenceModels             = ["apac.anthropic.claude-sonnet-4-5-20250929-v1:0"]',
            ]
        lines.append("}")
        lines.append("")
        for g in range(groups):
            lines += [
                f'profile "r{r}-g{g}" extends r{r} {{',
                f'  coworkEgressAllowedHosts += ["g{g}.r{r}.bench.example"]',
                f'  otlpHeaders += {{ "X-Group" = "g{g}" }}',
                f'  managedMcpServers += {{ name = "team-g{g}", transport = "http", url = "https://mcp.bench.example/g{g}" }}',
            ]
            if g % 4 == 0:
                lines.append('  managedMcpServers -= "tickets"')
            if g % 5 == 0:
                lines.append('  disabledBuiltinTools += "WebFetch"')
            lines += ["}", ""]
        with open(os.path.join(out, "regions", f"r{r:03}.policy"), "w") as f:
            f.write("\n".join(lines))


if __name__ == "__main__":
    main()
