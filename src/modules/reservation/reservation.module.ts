import { defineModule } from '../../platform/module/module-definition';

export const reservationModule = defineModule({
  name: 'reservation',
  bind() {},
});
