/** How services report progress without printing: the command decides where it goes (stderr). */
export interface Reporter {
  step(message: string): void
  warn(message: string): void
}

export const silentReporter: Reporter = {step: () => {}, warn: () => {}}
