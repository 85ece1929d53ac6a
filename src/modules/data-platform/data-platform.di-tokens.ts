export const DATA_PLATFORM = {
  Options: Symbol.for('data-platform.Options'),
  Records: Symbol.for('data-platform.Records'),
  Catalogue: Symbol.for('data-platform.Catalogue'),
  SinkClient: Symbol.for('data-platform.SinkClient'),
  SinkBreaker: Symbol.for('data-platform.SinkBreaker'),
  Deliverer: Symbol.for('data-platform.Deliverer'),
  OnSchedulePublished: Symbol.for('data-platform.OnSchedulePublished'),
  OnReservationConfirmed: Symbol.for('data-platform.OnReservationConfirmed'),
  OnReservationCancelled: Symbol.for('data-platform.OnReservationCancelled'),
  ListReservationsQuery: Symbol.for('data-platform.ListReservationsQuery'),
  Metrics: Symbol.for('data-platform.Metrics'),
} as const;
