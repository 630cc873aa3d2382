/**
 * Base error of this project. Every error we throw on purpose extends it, sets
 * `name`, and carries the original failure as `cause` (as Powertools does).
 */
class PortKafkaError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PortKafkaError';
  }
}

/** A configuration value (environment variable) is missing or malformed. */
class ConfigError extends PortKafkaError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

export { ConfigError, PortKafkaError };
