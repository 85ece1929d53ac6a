import { defineModule } from '../../platform/module/module-definition';

export const dataPlatformModule = defineModule({
  name: 'data-platform',
  bind() {},
});
