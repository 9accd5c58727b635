// The AWS SDK for JavaScript v3 as an application uses it: credentials from a provider,
// then STS GetCallerIdentity. Usage: node caller.mjs container|chain STS_URL [CALLS [PAUSE_MS]]
// Prints one JSON line per call (one client throughout, as a long-lived program has); on an
// error, the SDK's message and exit status 1.
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { fromContainerMetadata, fromNodeProviderChain } from "@aws-sdk/credential-providers";

const [mode, endpoint, calls = "1", pause = "0"] = process.argv.slice(2);
const providers = {
  container: () => fromContainerMetadata({ timeout: 2000, maxRetries: 0 }),
  chain: () => fromNodeProviderChain(),
};
if (!(mode in providers) || !endpoint) {
  console.error("usage: caller.mjs container|chain STS_URL [CALLS]");
  process.exit(2);
}
const credentials = providers[mode]();
const sts = new STSClient({ region: "us-east-1", endpoint, credentials, maxAttempts: 1 });
try {
  for (let i = 0; i < Number(calls); i++) {
    const who = await sts.send(new GetCallerIdentityCommand({}));
    const used = await sts.config.credentials();
    console.log(JSON.stringify({ account: who.Account, arn: who.Arn,
      key: used.accessKeyId, expiration: used.expiration }));
    await new Promise((done) => setTimeout(done, Number(pause)));
  }
} catch (error) {
  console.error(`${error.name}: ${error.message}`);
  process.exit(1);
}
