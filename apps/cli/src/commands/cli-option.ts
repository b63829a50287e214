import { type Command, InvalidArgumentError, Option } from 'commander';
import type { CliConfigInput } from '../config/cli-config.js';
import type { ConfigFlags } from '../config/resolve-config.js';

/** A config key a flag can set: a top-level setting, or one of a group's (`rehearsal.rows`). */
export type ConfigSetting =
  | Exclude<keyof CliConfigInput, 'rehearsal' | 'lint'>
  | `rehearsal.${keyof NonNullable<CliConfigInput['rehearsal']>}`
  | `lint.${keyof NonNullable<CliConfigInput['lint']>}`;

/**
 * One option of a command, declared once: commander gets its flags and help from it
 * (`addOptions`), the handler the type of its value (`FlagsOf`) and the configuration the
 * setting it gives (`configFlags`). `Always` is true when commander always sets the value (a
 * default or a mandatory option).
 */
export interface CliOption<Flags extends string = string, Value = unknown, Always extends boolean = boolean> {
  readonly flags: Flags;
  readonly description: string;
  /** The config key the value sets; without one the value is the command's own. */
  readonly setting?: ConfigSetting | undefined;
  readonly parse?: ((value: string) => Value) | undefined;
  readonly choices?: readonly Value[] | undefined;
  readonly default?: Value | undefined;
  readonly mandatory?: boolean | undefined;
  readonly always: Always;
}

/** How an option's value is read; see `option`. */
export interface OptionSettings {
  setting?: ConfigSetting;
  parse?: (value: string) => unknown;
  choices?: readonly string[];
  default?: string;
  mandatory?: true;
}

type OptionValue<Flags extends string, Settings> = Flags extends `${string}<${string}>`
  ? Settings extends { parse: (value: string) => infer Value }
    ? Value
    : Settings extends { choices: readonly (infer Choice)[] }
      ? Choice
      : string
  : boolean;

type AlwaysSet<Settings> = Settings extends { mandatory: true } | { default: string } ? true : false;

/**
 * Declares an option: a switch (`--json`: true when given) or a value (`--dir <path>`: a
 * string, or what `parse` makes of it, or one of `choices`). The value's type follows from
 * the declaration; `setting` names the config key it sets.
 */
export function option<
  const Flags extends `--${string}`,
  const Settings extends OptionSettings = OptionSettings,
>(
  flags: Flags,
  description: string,
  settings?: Settings,
): CliOption<Flags, OptionValue<Flags, Settings>, AlwaysSet<Settings>> {
  const always = settings?.mandatory === true || settings?.default !== undefined;
  return { flags, description, ...settings, always } as CliOption<
    Flags,
    OptionValue<Flags, Settings>,
    AlwaysSet<Settings>
  >;
}

type LongName<Flags extends string> = Flags extends `--${infer Name} ${string}`
  ? Name
  : Flags extends `--${infer Name}`
    ? Name
    : never;

type CamelCase<Name extends string> = Name extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : Name;

/** The key commander's `opts()` gives an option under: `--database-url <url>` → `databaseUrl`. */
export type AttributeName<Flags extends string> = CamelCase<LongName<Flags>>;

type ValueOf<Declared> = Declared extends CliOption<string, infer Value> ? Value : never;

/**
 * The flags a command's handler receives, derived from its option declarations: renaming a
 * flag renames its key, so a handler still reading the old one does not compile.
 */
export type FlagsOf<Options extends readonly CliOption[]> = {
  [Declared in Options[number] as Declared['always'] extends true
    ? AttributeName<Declared['flags']>
    : never]: ValueOf<Declared>;
} & {
  [Declared in Options[number] as Declared['always'] extends true
    ? never
    : AttributeName<Declared['flags']>]?: ValueOf<Declared>;
};

/** Adds the declared options to a commander command, in order. */
export function addOptions(command: Command, options: readonly CliOption[]): Command {
  for (const declared of options) {
    const added = new Option(declared.flags, declared.description);
    if (declared.parse) added.argParser(declared.parse);
    if (declared.choices) added.choices(declared.choices.map(String));
    if (declared.default !== undefined) added.default(declared.default);
    if (declared.mandatory) added.makeOptionMandatory();
    command.addOption(added);
  }
  return command;
}

/**
 * The config values the flags give, under each option's `setting`, labelled with the flag
 * they came from (`{ migrationsDir: '--dir' }`) for error messages. `--config` names the
 * config file itself.
 */
export function configFlags<const Options extends readonly CliOption[]>(
  options: Options,
  flags: FlagsOf<Options>,
): ConfigFlags {
  const given = flags as Readonly<Record<string, unknown>>;
  const values: Record<string, unknown> = {};
  const labels: Record<string, string> = {};
  for (const declared of options) {
    if (declared.setting === undefined) continue;
    const commanderOption = new Option(declared.flags);
    labels[declared.setting] = commanderOption.long ?? declared.flags;
    const value = given[commanderOption.attributeName()];
    if (value === undefined) continue;
    const [key, inner] = declared.setting.split('.') as [string, string | undefined];
    values[key] = inner === undefined ? value : { ...(values[key] as object), [inner]: value };
  }
  return { config: typeof given.config === 'string' ? given.config : undefined, values, labels };
}

/** A value parser for a whole number within [min, max]: a bad value is a usage error (exit 2). */
export const wholeNumber =
  (min: number, max: number) =>
  (value: string): number => {
    if (!/^[0-9]+$/.test(value)) throw new InvalidArgumentError('must be a whole number.');
    const number = Number.parseInt(value, 10);
    if (number < min || number > max) throw new InvalidArgumentError(`must be between ${min} and ${max}.`);
    return number;
  };
