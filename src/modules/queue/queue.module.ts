import { defineModule } from '../../platform/module/module-definition';

export const queueModule = defineModule({
  name: 'queue',
  bind() {},
});
