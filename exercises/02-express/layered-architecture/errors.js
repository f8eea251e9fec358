// Domain errors, already written. They describe what went wrong in business terms and
// know nothing about HTTP: mapping them to status codes is the controller's job.
export class DomainError extends Error {
  constructor(message) {
    super(message);
    this.name = new.target.name;
  }
}

/** The input breaks a business rule (bad quantity, unknown product…). */
export class ValidationError extends DomainError {}

/** The thing asked for does not exist. */
export class NotFoundError extends DomainError {}

/** The request is valid but the current state forbids it (cancelling twice, too late…). */
export class ConflictError extends DomainError {}
