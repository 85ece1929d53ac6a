import { defineModule } from '../../platform/module/module-definition';

export const concertModule = defineModule({
  name: 'concert',
  bind() {},
});
