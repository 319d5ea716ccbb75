import type { CliCommand } from '../command.ts';
import { installTransparentProxyCommand } from './install-transparent-proxy.ts';
import { uninstallTransparentProxyCommand } from './uninstall-transparent-proxy.ts';
import { traceCommand } from './trace.ts';
import { dpCommand } from './dp.ts';

/** Every `meshcap` verb, in the order `meshcap --help` lists them. */
export const commands: CliCommand[] = [installTransparentProxyCommand, uninstallTransparentProxyCommand, traceCommand, dpCommand];
