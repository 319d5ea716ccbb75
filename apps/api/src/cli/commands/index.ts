import { type CliCommand, dpCommand } from '@meshcap/dataplane';
import { applyCommand } from './apply.ts';
import { cpCommand } from './cp.ts';
import { generateBootstrapCommand, generateDataplaneTokenCommand } from './generate.ts';
import { inspectDataplaneCommand, inspectDataplanesCommand } from './inspect.ts';
import { installTransparentProxyCommand } from './install-transparent-proxy.ts';
import { uninstallTransparentProxyCommand } from './uninstall-transparent-proxy.ts';
import { demoCommand } from './demo.ts';
import { traceCommand } from './trace.ts';

/** Every `meshcap` verb, in the order `meshcap --help` lists them. */
export const commands: CliCommand[] = [cpCommand, applyCommand, inspectDataplanesCommand, inspectDataplaneCommand, generateDataplaneTokenCommand, generateBootstrapCommand, installTransparentProxyCommand, uninstallTransparentProxyCommand, traceCommand, demoCommand, dpCommand];
