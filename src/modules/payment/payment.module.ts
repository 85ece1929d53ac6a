import { defineModule } from '../../platform/module/module-definition';

export const paymentModule = defineModule({
  name: 'payment',
  bind() {},
});
