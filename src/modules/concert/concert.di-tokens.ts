export const CONCERT = {
  CatalogueRepository: Symbol.for('concert.CatalogueRepository'),
  CreateConcertService: Symbol.for('concert.CreateConcertService'),
  ListConcertsQuery: Symbol.for('concert.ListConcertsQuery'),
  ListSchedulesQuery: Symbol.for('concert.ListSchedulesQuery'),
  SeatMapQuery: Symbol.for('concert.SeatMapQuery'),
  SeatMapProjection: Symbol.for('concert.SeatMapProjection'),
  SeedDemoConcert: Symbol.for('concert.SeedDemoConcert'),
  SeatMetrics: Symbol.for('concert.SeatMetrics'),
} as const;
